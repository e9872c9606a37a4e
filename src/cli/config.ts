// `circlet config validate|process`: compile a config locally, like CircleCI's CLI does.
//
// Orbs come from a local orb directory (`--orbs-dir`, env CIRCLET_ORBS_DIR) first, then from the
// public registry (env CIRCLET_ORB_REGISTRY_URL to point elsewhere) with an on-disk cache under
// `$CIRCLET_DATA_DIR/orbs`, else `$XDG_CACHE_HOME/circlet/orbs` / `~/.cache/circlet/orbs`.
// Pipeline values are the CircleCI CLI's local defaults, with git values read from the repository
// in the working directory (the compiler itself does no I/O besides its OrbSource).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { compileIsolated } from '../engine/services/compile-worker.ts';
import type { CompileResult, Diagnostic, OrbSource, PipelineValues } from '../config/types.ts';
import { chainOrbSources } from '../config/orbs/chain.ts';
import { DirectoryOrbSource } from '../config/orbs/directory.ts';
import { RegistryOrbSource } from '../config/orbs/registry.ts';

export const DEFAULT_CONFIG_PATH = '.circleci/config.yml';

interface CompileFlags {
  pipelineParameters?: string;
  branch?: string;
  tag?: string;
  orbsDir?: string;
  registryUrl?: string;
  registry: boolean;
}

export function configCommand(): Command {
  const config = new Command('config').description('validate and process a .circleci/config.yml locally');

  const validate = withCompileOptions(
    new Command('validate')
      .description('check a config: compiles it (orbs included) and reports every problem')
      .argument('[file]', 'config file', DEFAULT_CONFIG_PATH),
  ).action(async (file: string, flags: CompileFlags) => {
    const result = await compileFile(file, flags);
    if (result === null) return;
    report(file, result.diagnostics);
    if (hasErrors(result)) process.exitCode = 1;
    else process.stdout.write(`Config file at ${file} is valid.\n`);
  });

  const processCmd = withCompileOptions(
    new Command('process')
      .description('print the compiled config (version 2) that a pipeline would run')
      .argument('[file]', 'config file', DEFAULT_CONFIG_PATH),
  ).action(async (file: string, flags: CompileFlags) => {
    const result = await compileFile(file, flags);
    if (result === null) return;
    report(file, result.diagnostics);
    if (hasErrors(result) || result.compiledYaml === null) {
      process.exitCode = 1;
      return;
    }
    process.stdout.write(result.compiledYaml.endsWith('\n') ? result.compiledYaml : `${result.compiledYaml}\n`);
  });

  config.addCommand(validate);
  config.addCommand(processCmd);
  return config;
}

function withCompileOptions(cmd: Command): Command {
  return cmd
    .option('--pipeline-parameters <json>', 'pipeline parameters as a JSON object, or @file.json')
    .addOption(new Option('--branch <branch>', 'compile as a pipeline on this branch (default: the checked-out branch)').conflicts('tag'))
    .addOption(new Option('--tag <tag>', 'compile as a pipeline for this tag').conflicts('branch'))
    .option('--orbs-dir <dir>', 'local orb directory <ns>/<name>@<version>.yml, tried before the registry (env CIRCLET_ORBS_DIR)')
    .option('--registry-url <url>', 'orb registry base URL (env CIRCLET_ORB_REGISTRY_URL; default https://circleci.com)')
    .option('--no-registry', 'do not fetch orbs from the registry (local orb directory and cache only)');
}

/** Compiles FILE, or prints why it could not (unreadable file, bad flags) and returns null. */
async function compileFile(file: string, flags: CompileFlags): Promise<CompileResult | null> {
  const fail = (message: string): null => {
    process.stderr.write(`circlet: ${message}\n`);
    process.exitCode = 1;
    return null;
  };
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch (err) {
    return fail(`cannot read config file ${file}: ${errorMessage(err)}`);
  }
  let pipelineParameters: Record<string, unknown> | undefined;
  if (flags.pipelineParameters !== undefined) {
    try {
      pipelineParameters = parsePipelineParameters(flags.pipelineParameters);
    } catch (err) {
      return fail(errorMessage(err));
    }
  }
  const pipelineValues = localPipelineValues({ branch: flags.branch, tag: flags.tag });
  try {
    // In a worker thread with the compile time and memory limits, as the server compiles.
    return await compileIsolated(source, { pipelineValues, pipelineParameters, orbSource: orbSourceFor(flags) });
  } catch (err) {
    // The compiler reports bad input as diagnostics; what escapes is a transport failure (registry).
    return fail(`cannot compile ${file}: ${errorMessage(err)}`);
  }
}

/** `--pipeline-parameters`: inline JSON or `@path.json`; must be a JSON object. */
export function parsePipelineParameters(arg: string): Record<string, unknown> {
  let text = arg;
  if (arg.startsWith('@')) {
    try {
      text = readFileSync(arg.slice(1), 'utf8');
    } catch (err) {
      throw new Error(`cannot read pipeline parameters file ${arg.slice(1)}: ${errorMessage(err)}`);
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(`--pipeline-parameters is not valid JSON: ${errorMessage(err)}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error('--pipeline-parameters must be a JSON object, like {"deploy": true}');
  }
  return value as Record<string, unknown>;
}

function orbSourceFor(flags: CompileFlags, env: NodeJS.ProcessEnv = process.env): OrbSource {
  const dir = flags.orbsDir ?? (env.CIRCLET_ORBS_DIR || undefined);
  const cacheDir = orbCacheDir(env);
  const registry = new RegistryOrbSource({
    baseUrl: flags.registryUrl ?? (env.CIRCLET_ORB_REGISTRY_URL || undefined),
    cacheDir,
  });
  // Offline: the registry's cache is an orb directory of exact versions.
  const sources: OrbSource[] = [];
  if (dir) sources.push(new DirectoryOrbSource(dir));
  sources.push(flags.registry ? registry : new DirectoryOrbSource(cacheDir));
  return chainOrbSources(...sources);
}

export function orbCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CIRCLET_DATA_DIR) return join(env.CIRCLET_DATA_DIR, 'orbs');
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'circlet', 'orbs');
}

// Diagnostics ------------------------------------------------------------------------------------

function hasErrors(result: CompileResult): boolean {
  return result.diagnostics.some((d) => d.severity === 'error');
}

/** One `FILE:LINE:COL: message` line per diagnostic on stderr (warnings marked as such). */
function report(file: string, diagnostics: readonly Diagnostic[]): void {
  for (const line of formatDiagnostics(file, diagnostics)) process.stderr.write(`${line}\n`);
}

/** In source order (unlocated ones first, as they concern the whole file), stable otherwise. */
export function formatDiagnostics(file: string, diagnostics: readonly Diagnostic[]): string[] {
  const sorted = [...diagnostics].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  return sorted.map((d) => {
    const located = d.line !== undefined;
    const where = `${file}:${d.line ?? 1}:${d.column ?? 1}`;
    const message = !located && d.path !== '' && !d.message.includes(d.path) ? `${d.message} (at ${d.path})` : d.message;
    return `${where}: ${d.severity === 'warning' ? 'warning: ' : ''}${message}`;
  });
}

// Pipeline values --------------------------------------------------------------------------------

export interface GitInfo {
  branch: string;
  revision: string;
  remoteUrl: string;
}

/** Branch, HEAD revision and origin URL of the repository at `cwd`; empty strings outside one. */
export function readGitInfo(cwd: string = process.cwd()): GitInfo {
  const git = (...args: string[]): string => {
    try {
      return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5_000 }).trim();
    } catch {
      return '';
    }
  };
  return {
    // Empty on a detached HEAD, like a tag pipeline.
    branch: git('symbolic-ref', '--quiet', '--short', 'HEAD'),
    revision: git('rev-parse', '--verify', '--quiet', 'HEAD^{commit}'),
    remoteUrl: git('config', '--get', 'remote.origin.url'),
  };
}

/** `git@github.com:org/repo.git` / `https://github.com/org/repo.git` → web URL, VCS type, owner, name. */
export function describeRemote(remoteUrl: string): { url: string; type: string; owner: string; name: string } {
  const m =
    /^(?:[\w.+-]+@)?([\w.-]+):(?!\/)(.+?)(?:\.git)?\/?$/.exec(remoteUrl) ??
    /^(?:https?|ssh|git):\/\/(?:[^@/]+@)?([\w.-]+)(?::\d+)?\/(.+?)(?:\.git)?\/?$/.exec(remoteUrl);
  if (!m) return { url: '', type: '', owner: '', name: '' };
  const [, host, repoPath] = m;
  const parts = repoPath.split('/');
  const type = host.includes('github') ? 'github' : host.includes('bitbucket') ? 'bitbucket' : host.includes('gitlab') ? 'gitlab' : '';
  return { url: `https://${host}/${repoPath}`, type, owner: parts.slice(0, -1).join('/'), name: parts.at(-1) ?? '' };
}

/**
 * The pipeline values of a local compile, after CircleCI's CLI: a fixed pipeline id and number,
 * git values from the repository in the working directory (empty outside one). `--tag` makes a
 * tag pipeline (no branch); `--branch` a branch pipeline (no tag).
 */
export function localPipelineValues(ref: { branch?: string; tag?: string } = {}, git: GitInfo = readGitInfo()): PipelineValues {
  const remote = describeRemote(git.remoteUrl);
  const branch = ref.tag !== undefined ? '' : (ref.branch ?? git.branch);
  return {
    id: '00000000-0000-0000-0000-000000000001',
    number: 1,
    'project.git_url': remote.url,
    'project.type': remote.type || 'github',
    'git.branch': branch,
    'git.tag': ref.tag ?? '',
    'git.revision': git.revision,
    'git.base_revision': git.revision,
    'git.repo_url': remote.url,
    'git.repo_owner': remote.owner,
    'git.repo_name': remote.name,
    trigger_source: 'webhook',
  };
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
