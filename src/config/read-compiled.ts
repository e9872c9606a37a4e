// Reads the compiled `version: 2` document into the typed compiled form (compiled.ts). Total and
// pure: the compiler has already reported what is wrong, so anything unreadable here becomes a
// default (an empty environment, a `none` executor, an `unknown` step) for the agent to report
// when the job runs. Optional fields a config does not give are undefined (absent in JSON). The
// engine stores each job's document; the task payload carries `readBuildJob` of it.
import type {
  BuildJob,
  CompiledConfig,
  CompiledDocument,
  CompiledJob,
  CompiledWorkflow,
  DockerImage,
  Environment,
  JobExecutor,
  Requirement,
  Step,
  WorkflowJob,
} from './compiled.ts';
import { isObj, onlyKey, splitEntry, type Obj } from './util.ts';

/** The typed form of a compiled document (the compiler's output, or a 2.0 config passed through). */
export function readCompiled(document: CompiledDocument): CompiledConfig {
  const jobs: Record<string, CompiledJob> = {};
  if (isObj(document.jobs)) for (const [name, body] of Object.entries(document.jobs)) jobs[name] = readJob(body);
  return { version: 2, jobs, workflows: readWorkflows(document), document };
}

/** A job body: `type: approval | no-op | release` is settled by the engine, anything else is built. */
export function readJob(body: unknown): CompiledJob {
  const b = isObj(body) ? body : {};
  if (b.type === 'approval' || b.type === 'no-op' || b.type === 'release') return { kind: b.type };
  return readBuildJob(b);
}

/** A job body read as a build job (what an agent runs). */
export function readBuildJob(body: unknown): BuildJob {
  const b = isObj(body) ? body : {};
  const parallelism = Number(b.parallelism ?? 1);
  return {
    kind: 'build',
    executor: readExecutor(b),
    environment: readEnvironment(b.environment),
    parallelism: Number.isInteger(parallelism) && parallelism >= 1 ? parallelism : 1,
    resource_class: typeof b.resource_class === 'string' && b.resource_class !== '' ? b.resource_class : 'medium',
    working_directory: str(b.working_directory),
    shell: str(b.shell) || undefined,
    steps: Array.isArray(b.steps) ? b.steps.map(readStep) : [],
  };
}

function readExecutor(b: Obj): JobExecutor {
  if (b.docker !== undefined && b.docker !== false) {
    const images = Array.isArray(b.docker) ? b.docker.filter((d): d is Obj => isObj(d) && typeof d.image === 'string').map(readImage) : [];
    return { kind: 'docker', images };
  }
  if (b.machine !== undefined && b.machine !== false) {
    const m = isObj(b.machine) ? b.machine : {};
    return { kind: 'machine', image: str(m.image), docker_layer_caching: m.docker_layer_caching === true };
  }
  if (b.macos !== undefined && b.macos !== false) return { kind: 'macos', xcode: isObj(b.macos) ? str(b.macos.xcode) : undefined };
  if (b.windows !== undefined && b.windows !== false) return { kind: 'windows' };
  return { kind: 'none' };
}

function readImage(d: Obj): DockerImage {
  const auth = isObj(d.auth) && str(d.auth.username) ? { username: str(d.auth.username)!, password: str(d.auth.password) ?? '' } : undefined;
  const aws = isObj(d.aws_auth) ? d.aws_auth : undefined;
  return {
    image: d.image as string,
    name: str(d.name),
    entrypoint: argv(d.entrypoint),
    command: argv(d.command),
    user: str(d.user),
    environment: readEnvironment(d.environment),
    auth,
    aws_auth: aws && { aws_access_key_id: str(aws.aws_access_key_id), aws_secret_access_key: str(aws.aws_secret_access_key), oidc_role_arn: str(aws.oidc_role_arn) },
  };
}

function argv(v: unknown): string | readonly string[] | undefined {
  return Array.isArray(v) ? v.map(String) : str(v);
}

/**
 * A config `environment`: a map, or a list of one-key maps / `NAME=value` strings. Values become
 * strings (null: empty; maps and lists: their JSON).
 */
export function readEnvironment(value: unknown): Environment {
  const out: Record<string, string> = {};
  if (Array.isArray(value)) {
    for (const item of value) {
      if (typeof item === 'string') {
        const i = item.indexOf('=');
        if (i > 0) out[item.slice(0, i)] = envString(item.slice(i + 1));
      } else if (item && typeof item === 'object') putAll(out, item as Obj);
    }
  } else if (value && typeof value === 'object') putAll(out, value as Obj);
  return out;
}

// Module functions, not closures: this runs for every step and image of every compile.
function putAll(out: Record<string, string>, from: Obj): void {
  for (const k in from) if (Object.hasOwn(from, k)) out[k] = envString(from[k]);
}

function envString(v: unknown): string {
  return v === null || v === undefined ? '' : typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
}

const KNOWN = new Set<string>([
  'run', 'deploy', 'checkout', 'setup_remote_docker', 'save_cache', 'restore_cache', 'persist_to_workspace',
  'attach_workspace', 'store_artifacts', 'store_test_results', 'add_ssh_keys', 'install_signing_bundle',
]);

/** A compiled step: a step name (`checkout`) or a one-key map (`{run: {...}}`, `{run: "make"}`). */
export function readStep(raw: unknown): Step {
  let type: string;
  let args: Obj;
  const only = isObj(raw) ? onlyKey(raw) : undefined;
  if (typeof raw === 'string') {
    type = raw;
    args = {};
  } else if (only !== undefined) {
    const k = only;
    const v = (raw as Obj)[k];
    type = k;
    args = typeof v === 'string' ? (k === 'run' || k === 'deploy' ? { command: v } : {}) : isObj(v) ? v : {};
  } else {
    return { kind: 'unknown', type: 'unknown', source: raw, when: 'on_success' };
  }
  // name and when written out in each literal (no spread of a base object): one step each of thousands.
  const name = str(args.name);
  const when = readWhen(args.when);
  if (!KNOWN.has(type)) return { kind: 'unknown', type, source: raw, name, when };
  switch (type as Exclude<Step['kind'], 'unknown'>) {
    case 'run':
    case 'deploy':
      return {
        kind: type as 'run' | 'deploy',
        name,
        when,
        command: str(args.command) ?? '',
        shell: str(args.shell),
        working_directory: str(args.working_directory),
        environment: readEnvironment(args.environment),
        background: args.background === true,
        no_output_timeout: timeout(args.no_output_timeout),
      };
    case 'checkout':
      return { kind: 'checkout', name, when, path: str(args.path) };
    case 'setup_remote_docker':
      return { kind: 'setup_remote_docker', name, when, version: str(args.version), docker_layer_caching: args.docker_layer_caching === true };
    case 'save_cache':
      return { kind: 'save_cache', name, when, key: str(args.key), paths: stringList(args.paths) };
    case 'restore_cache':
      return { kind: 'restore_cache', name, when, keys: [...stringList(args.keys), ...stringList(args.key)] };
    case 'persist_to_workspace':
      return { kind: 'persist_to_workspace', name, when, root: str(args.root), paths: stringList(args.paths) };
    case 'attach_workspace':
      return { kind: 'attach_workspace', name, when, at: str(args.at) };
    case 'store_artifacts':
      return { kind: 'store_artifacts', name, when, path: str(args.path), destination: str(args.destination) };
    case 'store_test_results':
      return { kind: 'store_test_results', name, when, path: str(args.path) };
    case 'add_ssh_keys':
      return { kind: 'add_ssh_keys', name, when, fingerprints: Array.isArray(args.fingerprints) ? args.fingerprints.map(String) : typeof args.fingerprints === 'string' ? [args.fingerprints] : [] };
    case 'install_signing_bundle':
      return { kind: 'install_signing_bundle', name, when };
  }
}

/** `always` / `on_fail`; anything else given runs like `always` (neither condition skips it). */
function readWhen(v: unknown): Step['when'] {
  const s = str(v);
  return s === undefined || s === 'on_success' ? 'on_success' : s === 'on_fail' ? 'on_fail' : 'always';
}

function timeout(v: unknown): string | number | undefined {
  if (v === undefined) return undefined;
  return typeof v === 'number' || typeof v === 'string' ? v : JSON.stringify(v);
}

function readWorkflows(document: CompiledDocument): CompiledWorkflow[] {
  // A 2.0 config without workflows runs its `build` job as an implicit workflow.
  const implicit = document.workflows === undefined && isObj(document.jobs) && Object.hasOwn(document.jobs, 'build');
  const workflows = isObj(document.workflows) ? document.workflows : implicit ? { workflow: { jobs: ['build'] } } : {};
  const out: CompiledWorkflow[] = [];
  for (const [name, wf] of Object.entries(workflows)) {
    if (name === 'version' || !isObj(wf)) continue;
    const jobs: WorkflowJob[] = [];
    for (const e of Array.isArray(wf.jobs) ? wf.jobs : []) {
      const split = splitEntry(e);
      if (split) jobs.push(readWorkflowJob(split[0], isObj(split[1]) ? split[1] : {}));
    }
    out.push({ name, scheduled: wf.triggers !== undefined, jobs });
  }
  return out;
}

function readWorkflowJob(name: string, entry: Obj): WorkflowJob {
  const requires = (Array.isArray(entry.requires) ? entry.requires : []).map(readRequirement);
  return { name, type: typeof entry.type === 'string' ? entry.type : undefined, requires, contexts: readContexts(entry.context), filters: entry.filters };
}

/** A `requires` entry: `name` or `{name: status | [statuses]}`. */
export function readRequirement(r: unknown): Requirement {
  if (isObj(r)) {
    const [name, s] = Object.entries(r)[0] ?? ['', undefined];
    return { name, statuses: (Array.isArray(s) ? s : s === undefined ? [] : [s]).map(String) };
  }
  return { name: String(r), statuses: [] };
}

/** A job's `context`: a name or a list of names (empty names dropped). */
export function readContexts(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  return (Array.isArray(v) ? v : [v]).map(String).filter((s) => s !== '');
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
}

/** A string-or-list argument (`paths`, `keys`) as a list of non-empty strings. */
function stringList(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(str).filter((s): s is string => s !== undefined && s !== '');
  const s = str(v);
  return s ? [s] : [];
}
