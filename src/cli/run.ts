// `circlet run`: run the current repository's workflows on this machine (src/run).
import fs from 'node:fs';
import os from 'node:os';
import { Command, InvalidArgumentError, Option } from 'commander';
import { formatDiagnostics, orbCacheDir } from './config.ts';

const HELP = `
The code jobs check out is the working tree as it is now: uncommitted changes and untracked
files that are not ignored are included (--commit checks out HEAD instead). The repository is
only read: no ref, index or object is written to it; the run's output goes to --out
(default .circlet/runs/<n>/, one folder per job). Caches and test timings are kept under
$XDG_CACHE_HOME/circlet (~/.cache/circlet) for the next run. Secrets given with --env,
--env-file and --context are masked in the output.

Exit codes: 0 every workflow succeeded, 1 one failed (or stopped at an approval),
2 a config or usage error, 130 interrupted (Ctrl-C cancels running jobs).

See docs/run.md.`;

const collect = (value: string, previous: string[] = []) => [...previous, value];

function positive(value: string): number {
  const n = /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new InvalidArgumentError('must be a number of jobs (1-256)');
  return n;
}

interface RunFlags {
  job?: string[];
  only?: boolean;
  param?: string[];
  env?: string[];
  envFile?: string[];
  context?: string[];
  branch?: string;
  tag?: string;
  config?: string;
  orbsDir?: string;
  docker?: boolean;
  host?: boolean;
  parallel?: number;
  approve?: boolean;
  keepGoing?: boolean;
  out?: string;
  json?: boolean;
  commit?: boolean;
  clean?: boolean;
  clearCache?: boolean;
}

export function runCommand(): Command {
  return new Command('run')
    .description('run the workflows of the repository you are in, on this machine, from its working tree')
    .argument('[workflow]', 'only this workflow (default: those the branch runs)')
    .option('--job <name>', 'run this job and the jobs it requires (repeatable)', collect)
    .option('--only', 'with --job: only the named jobs, not what they require')
    .option('--param <key=value>', 'a pipeline parameter, typed as the config declares it (repeatable)', collect)
    .option('--env <key=value>', 'a project environment variable (repeatable; masked)', collect)
    .option('--env-file <file>', 'project environment variables from a dotenv file (repeatable; masked)', collect)
    .option('--context <name=file>', 'a context and its variables from a dotenv file (repeatable; masked)', collect)
    .addOption(new Option('--branch <branch>', 'run as a pipeline on this branch (default: the checked-out branch)').conflicts('tag'))
    .addOption(new Option('--tag <tag>', 'run as a pipeline for this tag').conflicts('branch'))
    .option('--config <path>', 'config file, relative to the repository (default .circleci/config.yml)')
    .option('--orbs-dir <dir>', 'a local orb directory to resolve orbs from first (env CIRCLET_ORBS_DIR)')
    .addOption(new Option('--docker', 'run docker jobs in containers; an error without a Docker engine').conflicts('host'))
    .addOption(new Option('--host', 'run docker jobs on this host, ignoring their images (default when no engine answers)').conflicts('docker'))
    .option('--parallel <n>', 'jobs to run at once (default: the number of CPUs)', positive)
    .option('--approve', 'approve every approval job')
    .option('--no-approve', 'stop at the first approval job (default when not on a terminal)')
    .option('--keep-going', 'after a failure, keep running the jobs that do not depend on it (default: cancel the rest)')
    .option('--out <dir>', 'where artifacts, test results and logs go (default .circlet/runs/<n>)')
    .option('--json', 'one JSON event per line instead of text')
    .option('--commit', 'check out HEAD instead of the working tree')
    .addOption(new Option('--clean', 'the same as --commit').hideHelp())
    .option('--clear-cache', "empty this repository's saved caches before running")
    .addHelpText('after', HELP)
    // A usage error (unknown option, bad value) exits 2, as config errors do; --help exits 0.
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
    .action(async (workflow: string | undefined, given: RunFlags) => {
      const flags = { ...given, job: given.job ?? [], param: given.param ?? [], env: given.env ?? [], envFile: given.envFile ?? [], context: given.context ?? [], parallel: given.parallel ?? os.availableParallelism() };
      process.exitCode = await execute(workflow, flags);
    });
}

function fail(message: string): number {
  process.stderr.write(`circlet run: ${message}\n`);
  return 2;
}

async function execute(workflow: string | undefined, flags: Required<Pick<RunFlags, 'job' | 'param' | 'env' | 'envFile' | 'context' | 'parallel'>> & RunFlags): Promise<number> {
  // Loaded here, not at the top: `--help` and argument errors stay fast.
  const { runLocal } = await import('../run/session.ts');
  const { ConfigError } = await import('../run/prepare.ts');
  const { UsageError, splitAssignment } = await import('../run/select.ts');
  const { parseDotenv, DotenvError } = await import('../run/dotenv.ts');
  const { SnapshotError } = await import('../run/snapshot.ts');
  const { terminalReporter } = await import('../run/reporters/index.ts');
  const readEnvFile = (file: string) => {
    try {
      return parseDotenv(fs.readFileSync(file, 'utf8'), file);
    } catch (err) {
      if (err instanceof DotenvError) throw new UsageError(err.message);
      throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
    }
  };
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    process.stderr.write(`circlet run: ${signal}: cancelling running jobs (again to exit at once)\n`);
    controller.abort();
  };
  // The reader of the output went away (`circlet run | head`): as a hang-up, the run is
  // cancelled and cleaned up, instead of the process dying of an unhandled EPIPE with its
  // jobs still running and its temp dir left behind.
  const onOutputError = (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE' || controller.signal.aborted) return;
    process.stderr.write('circlet run: the output was closed: cancelling running jobs\n');
    controller.abort();
  };
  // (Kept to the end of the process: a failed write can report after the run returned.)
  process.stdout.on('error', onOutputError);
  let reporter: import('../run/events.ts').Reporter | undefined;
  try {
    const params = Object.fromEntries(flags.param.map((p) => splitAssignment(p, '--param')));
    const secrets: Record<string, string> = {};
    for (const file of flags.envFile) Object.assign(secrets, readEnvFile(file));
    for (const e of flags.env) {
      const [k, v] = splitAssignment(e, '--env');
      secrets[k] = v;
    }
    const contexts: Record<string, Record<string, string>> = {};
    for (const c of flags.context) {
      const [name, file] = splitAssignment(c, '--context');
      contexts[name] = { ...contexts[name], ...readEnvFile(file) };
    }
    if (flags.only && flags.job.length === 0) throw new UsageError('--only needs --job');
    const tty = Boolean(process.stdout.isTTY) && !flags.json;
    const approve = flags.approve === true ? 'yes' : flags.approve === false ? 'no' : process.stdin.isTTY && tty ? 'prompt' : 'no';
    reporter = flags.json ? new (await import('../run/reporters/json.ts')).JsonReporter() : await terminalReporter(tty);
    const live = reporter;
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const { chainOrbSources } = await import('../config/orbs/chain.ts');
    const { DirectoryOrbSource } = await import('../config/orbs/directory.ts');
    const { RegistryOrbSource } = await import('../config/orbs/registry.ts');
    const orbsDir = flags.orbsDir ?? (process.env.CIRCLET_ORBS_DIR || undefined);
    const orbSource = chainOrbSources(orbsDir ? new DirectoryOrbSource(orbsDir) : undefined, new RegistryOrbSource({ cacheDir: orbCacheDir(), baseUrl: process.env.CIRCLET_ORB_REGISTRY_URL || undefined }));
    return await runLocal({
      cwd: process.cwd(),
      env: process.env,
      branch: flags.branch,
      tag: flags.tag,
      configPath: flags.config,
      workingTree: !(flags.commit || flags.clean),
      params,
      selection: { workflow, jobs: flags.job, only: Boolean(flags.only) },
      orbSource,
      out: flags.out,
      secrets,
      contexts,
      executor: flags.docker ? 'docker' : flags.host ? 'host' : 'auto',
      parallel: flags.parallel,
      approve,
      prompt: (q) => live.prompt?.(q) ?? Promise.resolve(false),
      keepGoing: Boolean(flags.keepGoing),
      clearCache: Boolean(flags.clearCache),
      reporter: live,
      signal: controller.signal,
    });
  } catch (err) {
    await reporter?.close();
    reporter = undefined;
    if (err instanceof ConfigError) {
      for (const line of formatDiagnostics(err.file, err.diagnostics)) process.stderr.write(line + '\n');
      return 2;
    }
    if (err instanceof UsageError || err instanceof SnapshotError) return fail(err.message);
    process.stderr.write(`circlet run: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  } finally {
    await reporter?.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
