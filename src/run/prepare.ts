// Before a local run starts its instance: where the repository is, which ref and commit the
// pipeline gets, the config (compiled once here to report errors with their line and
// column, and to narrow it to a workflow or some jobs), and where the output goes.
import fs from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { compileConfig, type Diagnostic, type OrbSource, type PipelineValues } from '../config/index.ts';
import { pipelineValues } from '../engine/pipeline/pipeline-values.ts';
import { LocalState, projectIdFor } from './local-state.ts';
import { narrowConfig, typedParameters, UsageError, type Selection } from './select.ts';
import { makeSnapshot, readRepo, type RepoInfo, type Snapshot } from './snapshot.ts';

export const DEFAULT_CONFIG = '.circleci/config.yml';

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly diagnostics: Diagnostic[],
  ) {
    super(`${file}: the config has errors`);
  }
}

export interface PrepareOptions {
  cwd: string;
  branch?: string;
  tag?: string;
  /** The config file, relative to the repository's top (default .circleci/config.yml). */
  configPath?: string;
  workingTree: boolean;
  params: Record<string, string>;
  selection: Selection;
  orbSource: OrbSource;
  /** Output folder; default `<repo>/.circlet/runs/<n>`. */
  out?: string;
  env?: NodeJS.ProcessEnv;
}

export interface Prepared {
  repo: RepoInfo;
  state: LocalState;
  number: number;
  out: string;
  branch?: string;
  tag?: string;
  snapshot: Snapshot;
  parameters: Record<string, unknown>;
  /** Config text given to the trigger instead of the file at the commit, when narrowed or --config. */
  configContent?: string;
  configFile: string;
}

/** The next run number: above every `.circlet/runs/<n>` and the number kept in the state. */
function nextNumber(runsDir: string, state: LocalState): number {
  let max = 0;
  try {
    for (const name of fs.readdirSync(runsDir)) if (/^\d+$/.test(name)) max = Math.max(max, Number(name));
  } catch {
    /* no runs yet */
  }
  const counter = path.join(state.dir, 'last-run');
  try {
    max = Math.max(max, Number(fs.readFileSync(counter, 'utf8').trim()) || 0);
  } catch {
    /* first run */
  }
  fs.mkdirSync(state.dir, { recursive: true });
  fs.writeFileSync(counter, String(max + 1));
  return max + 1;
}

function readConfig(repo: RepoInfo, file: string, workingTree: boolean): string {
  const full = path.join(repo.root, file);
  if (workingTree) {
    try {
      return fs.readFileSync(full, 'utf8');
    } catch {
      throw new UsageError(`no config at ${file} in ${repo.root}`);
    }
  }
  return '';
}

export async function prepareRun(opts: PrepareOptions, scratch: string): Promise<Prepared> {
  const repo = await readRepo(opts.cwd);
  const state = new LocalState(projectIdFor(repo.root), opts.env);
  const tag = opts.tag;
  const branch = tag ? undefined : (opts.branch ?? (repo.branch || 'main'));
  const ref = tag ? `refs/tags/${tag}` : `refs/heads/${branch}`;
  const snapshot = await makeSnapshot(repo, scratch, ref, opts.workingTree);
  const configFile = opts.configPath ?? DEFAULT_CONFIG;
  let source = readConfig(repo, configFile, opts.workingTree);
  if (!opts.workingTree) source = await gitShow(scratch, snapshot.revision, configFile);
  const parameters = typedParameters(source, opts.params);
  const number = nextNumber(path.join(repo.root, '.circlet', 'runs'), state);
  const values: PipelineValues = pipelineValues({
    id: '00000000-0000-0000-0000-000000000000',
    number,
    project: { vcs_type: 'github', org_name: 'local', name: path.basename(repo.root), vcs_url: snapshot.url, default_branch: branch ?? 'main' },
    branch,
    tag,
    revision: snapshot.revision,
    triggerSource: 'api',
  });
  const result = await compileConfig(source, { pipelineValues: values, pipelineParameters: parameters, orbSource: opts.orbSource });
  if (result.diagnostics.some((d) => d.severity === 'error') || !result.config) throw new ConfigError(configFile, result.diagnostics);
  const narrowed = result.setup ? undefined : narrowConfig(result.config, { branch, tag }, values, opts.selection);
  let configContent: string | undefined;
  let runParameters = parameters;
  if (narrowed) {
    configContent = stringify(narrowed);
    runParameters = {};
  } else if (opts.configPath !== undefined) {
    configContent = source;
  }
  const out = path.resolve(opts.out ?? path.join(repo.root, '.circlet', 'runs', String(number)));
  return { repo, state, number, out, branch, tag, snapshot, parameters: runParameters, configContent, configFile };
}

async function gitShow(gitDir: string, revision: string, file: string): Promise<string> {
  const { execFile } = await import('node:child_process');
  return new Promise((resolve, reject) =>
    execFile('git', ['--git-dir', gitDir, 'show', `${revision}:${file}`], { maxBuffer: 16 * 1024 * 1024 }, (err, stdout) =>
      err ? reject(new UsageError(`no config at ${file} in HEAD (${revision.slice(0, 7)})`)) : resolve(String(stdout)),
    ),
  );
}
