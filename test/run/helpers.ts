// `circlet run` as a child process in a real git repository in a temp dir, with its own
// cache home (XDG_CACHE_HOME) so runs of different tests share nothing.
import fs from 'node:fs';
import path from 'node:path';
import { onTestFinished } from 'vitest';
import { runCli, type CliResult } from '../cli/child.ts';
import { tempDir } from '../helpers/databases.ts';
import { makeRepo, type TestRepo } from '../helpers/git.ts';

export interface RunRepo extends TestRepo {
  cache: string;
  run(args?: string[], env?: Record<string, string>): Promise<CliResult>;
  /** `run --json`, parsed. */
  runJson(args?: string[], env?: Record<string, string>): Promise<CliResult & { events: Record<string, any>[] }>;
}

export function runRepo(config: string, files: Record<string, string> = {}): RunRepo {
  const repo = makeRepo();
  repo.commit({ '.circleci/config.yml': config, ...files }, 'initial');
  const cache = tempDir('circlet-run-cache-');
  onTestFinished(() => {
    fs.rmSync(cache, { recursive: true, force: true });
    fs.rmSync(repo.dir, { recursive: true, force: true });
  });
  const run = (args: string[] = [], env: Record<string, string> = {}) => runCli(['run', ...args], { cwd: repo.dir, env: { XDG_CACHE_HOME: cache, ...env } });
  return {
    ...repo,
    cache,
    run,
    async runJson(args = [], env = {}) {
      const r = await run(['--json', ...args], env);
      const events = r.stdout
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as Record<string, any>);
      return { ...r, events };
    },
  };
}

/** Output lines of one job (plain reporter), without their `[job] ` prefix. */
export function jobLines(stdout: string, job: string): string[] {
  const prefix = `[${job}] `;
  return stdout
    .split('\n')
    .filter((l) => l.startsWith(prefix))
    .map((l) => l.slice(prefix.length));
}

/** Step output of a job node from --json events, joined. */
export function jsonOutput(events: Record<string, any>[], job: string, node = 0): string {
  return events
    .filter((e) => e.type === 'output' && e.job === job && e.node === node)
    .map((e) => String(e.data))
    .join('');
}

export function write(dir: string, file: string, content: string): void {
  fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
  fs.writeFileSync(path.join(dir, file), content);
}
