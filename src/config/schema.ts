// Structural validation of a parsed config (version 2.1, and the 2.0 subset).
//
// Circlet's own rules, written as data: a small vocabulary of shapes (`str`, `int`, `list`, `obj`,
// `either` …) that a single walker checks. Only the shape is checked here — names resolving to
// definitions, parameter types at call sites, and everything else that needs meaning is the
// compiler's job. It is deliberately permissive where CircleCI is:
//   - unknown top-level keys are anchor holders (`references:`, `x-defaults:` …) and pass;
//   - any string holding a `<< … >>` reference or expression is accepted wherever a value is
//     expected (it is substituted before the value is used);
//   - workflow job entries accept any key besides the reserved ones (they are job parameters).
// Diagnostics carry a dotted path (`jobs.build.steps[2].run`) and no position; the compiler adds
// line/column with its locator.
import { formatPath, type PathSeg } from './parse.ts';
import type { Diagnostic } from './types.ts';

// ---------------------------------------------------------------------------------------------
// Shape vocabulary

type Kind = 'string' | 'number' | 'boolean' | 'list' | 'map' | 'null';

interface Ctx {
  /** Command names visible in the current scope (a user command may shadow a built-in step). */
  commands: ReadonlySet<string>;
  out: Issue[];
}

type Check = (value: unknown, path: PathSeg[], ctx: Ctx) => void;

interface Shape {
  /** What the shape accepts, for "expected …" messages. */
  what: string;
  /** JSON kinds this shape can take; `either` dispatches on them. */
  kinds: readonly Kind[];
  check: Check;
}

/** A structural problem, with the path as segments (for locating) and as text. */
export interface Issue {
  path: PathSeg[];
  message: string;
}

function kindOf(v: unknown): Kind {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'object') return 'map';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number' || typeof v === 'bigint') return 'number';
  if (typeof v === 'boolean') return 'boolean';
  return 'string';
}

const KIND_NAME: Record<Kind, string> = {
  string: 'a string',
  number: 'a number',
  boolean: 'a boolean',
  list: 'a list',
  map: 'a map',
  null: 'nothing (null)',
};

/** `<< parameters.x >>`, `<< pipeline.git.branch == "main" and 1 or 2 >>` … : substituted later. */
const REFERENCE = /<<[\s\S]*>>/;
const isReference = (v: unknown): boolean => typeof v === 'string' && REFERENCE.test(v);

function issue(ctx: Ctx, path: PathSeg[], message: string): void {
  ctx.out.push({ path: [...path], message });
}

function describe(v: unknown): string {
  const k = kindOf(v);
  if (k === 'string') return `'${String(v).length > 60 ? `${String(v).slice(0, 57)}...` : String(v)}'`;
  if (k === 'number' || k === 'boolean') return String(v);
  return KIND_NAME[k];
}

function expected(ctx: Ctx, path: PathSeg[], what: string, v: unknown): void {
  issue(ctx, path, `expected ${what}, got ${describe(v)}`);
}

/** Runs a shape; a `<< … >>` string stands for any value. */
function run(shape: Shape, value: unknown, path: PathSeg[], ctx: Ctx): void {
  if (isReference(value)) return;
  shape.check(value, path, ctx);
}

const any: Shape = { what: 'any value', kinds: ['string', 'number', 'boolean', 'list', 'map', 'null'], check: () => {} };

function str(pattern?: RegExp, what = 'a string'): Shape {
  return {
    what,
    kinds: ['string'],
    check(v, path, ctx) {
      if (typeof v !== 'string') return expected(ctx, path, what, v);
      if (pattern && !pattern.test(v)) expected(ctx, path, what, v);
    },
  };
}

const string = str();
const bool: Shape = {
  what: 'a boolean',
  kinds: ['boolean'],
  check: (v, path, ctx) => (typeof v === 'boolean' ? undefined : expected(ctx, path, 'a boolean', v)),
};
const number: Shape = {
  what: 'a number',
  kinds: ['number'],
  check: (v, path, ctx) => (typeof v === 'number' ? undefined : expected(ctx, path, 'a number', v)),
};

function int(min?: number, max?: number): Shape {
  const what =
    min !== undefined && max !== undefined
      ? `an integer from ${min} to ${max}`
      : min !== undefined
        ? `an integer of at least ${min}`
        : 'an integer';
  return {
    what,
    kinds: ['number'],
    check(v, path, ctx) {
      if (typeof v !== 'number' || !Number.isInteger(v)) return expected(ctx, path, what, v);
      if ((min !== undefined && v < min) || (max !== undefined && v > max)) expected(ctx, path, what, v);
    },
  };
}

function oneOfValues(values: readonly string[]): Shape {
  const what = `one of ${values.join(', ')}`;
  return {
    what,
    kinds: ['string'],
    check: (v, path, ctx) => (typeof v === 'string' && values.includes(v) ? undefined : expected(ctx, path, what, v)),
  };
}

function list(of: Shape, opts: { min?: number; what?: string } = {}): Shape {
  const what = opts.what ?? (of === any ? 'a list' : `a list of ${plural(of.what)}`);
  return {
    what,
    kinds: ['list'],
    check(v, path, ctx) {
      if (!Array.isArray(v)) return expected(ctx, path, what, v);
      if (opts.min !== undefined && v.length < opts.min) return issue(ctx, path, `expected a non-empty list`);
      v.forEach((item, i) => run(of, item, [...path, i], ctx));
    },
  };
}

function plural(what: string): string {
  return what.replace(/^an? /, '').replace(/^(\w+)/, '$1s');
}

/** A map with free keys (names), each value of one shape. */
function dict(of: Shape, opts: { keys?: RegExp; keyWhat?: string; nullable?: boolean; what?: string } = {}): Shape {
  const what = opts.what ?? 'a map';
  return {
    what,
    kinds: opts.nullable ? ['map', 'null'] : ['map'],
    check(v, path, ctx) {
      if (v === null && opts.nullable) return;
      if (kindOf(v) !== 'map') return expected(ctx, path, what, v);
      for (const [k, item] of Object.entries(v as Record<string, unknown>)) {
        if (opts.keys && !opts.keys.test(k)) issue(ctx, [...path, k], `invalid name '${k}': expected ${opts.keyWhat ?? 'a name'}`);
        run(of, item, [...path, k], ctx);
      }
    },
  };
}

interface ObjOptions {
  required?: readonly string[];
  /** Keys not listed are accepted (and not checked). */
  open?: boolean;
  what?: string;
  nullable?: boolean;
  /** Extra rule run after the fields (mutual exclusion, conditional requirements …). */
  also?: (v: Record<string, unknown>, path: PathSeg[], ctx: Ctx) => void;
}

/** A map with known keys. Unknown keys are errors unless `open`. */
function obj(fields: Record<string, Shape>, opts: ObjOptions = {}): Shape {
  const what = opts.what ?? 'a map';
  return {
    what,
    kinds: opts.nullable ? ['map', 'null'] : ['map'],
    check(v, path, ctx) {
      if (v === null && opts.nullable && !opts.required?.length) return;
      if (kindOf(v) !== 'map') return expected(ctx, path, what, v);
      const m = v as Record<string, unknown>;
      for (const key of opts.required ?? []) if (!(key in m)) issue(ctx, path, `missing required key '${key}'`);
      for (const [k, item] of Object.entries(m)) {
        const field = Object.hasOwn(fields, k) ? fields[k] : undefined;
        if (field) run(field, item, [...path, k], ctx);
        else if (!opts.open) issue(ctx, [...path, k], `unknown key '${k}'${suggest(k, Object.keys(fields))}`);
      }
      opts.also?.(m, path, ctx);
    },
  };
}

/** Alternatives told apart by the value's JSON kind (a string form and a map form, say). */
function either(...shapes: Shape[]): Shape {
  const kinds = [...new Set(shapes.flatMap((s) => s.kinds))];
  const what = [...new Set(shapes.map((s) => s.what))].join(' or ');
  return {
    what,
    kinds,
    check(v, path, ctx) {
      const k = kindOf(v);
      const shape = shapes.find((s) => s.kinds.includes(k));
      if (!shape) return expected(ctx, path, what, v);
      shape.check(v, path, ctx);
    },
  };
}

/** A shape defined later (recursion). */
function lazy(get: () => Shape, what: string, kinds: readonly Kind[]): Shape {
  return { what, kinds, check: (v, path, ctx) => get().check(v, path, ctx) };
}

function custom(what: string, kinds: readonly Kind[], check: Check): Shape {
  return { what, kinds, check };
}

/** ` (did you mean 'x'?)` for a near miss: at most two edits away, or a prefix of a known key. */
function suggest(key: string, known: readonly string[]): string {
  let best = '';
  let bestDist = 3;
  for (const k of known) {
    if (key.length >= 4 && k.startsWith(key) && bestDist > 2) {
      best = k;
      bestDist = 2.5;
      continue;
    }
    const d = editDistance(key, k);
    if (d < bestDist) {
      best = k;
      bestDist = d;
    }
  }
  return best ? ` (did you mean '${best}'?)` : '';
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

// ---------------------------------------------------------------------------------------------
// Vocabulary of the config

const NAME = /^[A-Za-z][A-Za-z0-9_.-]*$/;
const NAME_WHAT = 'a name starting with a letter, of letters, digits, _ . -';
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ORB_REF = /^[a-z0-9][a-z0-9_-]*\/[a-z0-9][a-z0-9_-]*@(?:\d+(?:\.\d+){0,2}|volatile|dev:\S+)$/i;
const RUNTIME_STATUS = ['on_success', 'on_fail', 'always'] as const;
const REQUIRES_STATUS = ['success', 'failed', 'canceled', 'unauthorized', 'not_run', 'terminal'] as const;

const stringOrStrings = either(string, list(string));
const scalar = custom('a string, number or boolean', ['string', 'number', 'boolean', 'null'], (v, path, ctx) => {
  const k = kindOf(v);
  if (k === 'list' || k === 'map') expected(ctx, path, 'a string, number or boolean', v);
});

/** `environment`: a map of names to scalars, or a list of such maps / `NAME=value` strings. */
const environment = either(
  dict(scalar),
  list(either(str(undefined, 'a NAME=value string'), dict(scalar)), { what: 'a list of NAME=value strings or maps' }),
  custom('a map', ['null'], () => {}),
);

const dockerImage = obj(
  {
    image: string,
    name: string,
    entrypoint: stringOrStrings,
    command: stringOrStrings,
    user: string,
    environment,
    auth: obj({ username: string, password: string }, { required: ['username', 'password'] }),
    aws_auth: obj(
      { aws_access_key_id: string, aws_secret_access_key: string, oidc_role_arn: string },
      {
        also(m, path, ctx) {
          if ('oidc_role_arn' in m) return;
          for (const key of ['aws_access_key_id', 'aws_secret_access_key']) {
            if (!(key in m)) issue(ctx, path, `missing required key '${key}'`);
          }
        },
      },
    ),
  },
  { required: ['image'] },
);

const flag = either(bool, string, number);
const machine = either(
  flag,
  obj({ image: string, enabled: flag, docker_layer_caching: flag, resource_class: string, shell: string }),
);
const macos = obj({ xcode: either(string, number), resource_class: string, shell: string }, { required: ['xcode'] });
const RESOURCE_CLASS = /^[A-Za-z0-9][A-Za-z0-9_.+-]*(?:\/[A-Za-z0-9][A-Za-z0-9_.-]*)?$/;
const resourceClass = str(RESOURCE_CLASS, 'a resource class (like medium, arm.large or namespace/runner)');

/** Keys a job and an executor definition share (the executor keys proper). */
const executorFields = {
  docker: list(dockerImage, { min: 1, what: 'a list of docker images' }),
  machine,
  macos,
  resource_class: resourceClass,
  shell: string,
  working_directory: string,
  environment,
  description: string,
};
const EXECUTOR_KINDS = ['docker', 'machine', 'macos'] as const;

// Steps -----------------------------------------------------------------------------------------

const noOutputTimeout = either(str(/^\d+(?:\.\d+)?[smh]?$/, 'a duration like 10m, 30s or 1h'), int(0));
const runFields = {
  command: string,
  name: string,
  shell: string,
  environment,
  background: bool,
  working_directory: string,
  no_output_timeout: noOutputTimeout,
  when: oneOfValues(RUNTIME_STATUS),
  max_auto_reruns: int(1, 5),
  auto_rerun_delay: str(/^\d+[sm]$/, 'a delay like 30s or 2m'),
};

/**
 * Built-in steps: the shape of their argument. CircleCI ignores keys it does not know in a
 * built-in step (published orbs carry `run.description`, real configs `checkout.directory`), so
 * these maps are open: known keys are type-checked, required keys enforced, others pass. `name`
 * and `when` (run-time status) are accepted on every built-in step.
 */
function builtin(fields: Record<string, Shape>, opts: ObjOptions = {}): Shape {
  return obj({ name: string, when: oneOfValues(RUNTIME_STATUS), ...fields }, { open: true, ...opts });
}
const runStep = either(string, builtin(runFields, { required: ['command'] }));
const BUILTIN_STEPS: Record<string, Shape> = {
  run: runStep,
  deploy: runStep,
  checkout: builtin({ path: string, method: oneOfValues(['blobless', 'full', 'shallow']), depth: int(1) }, { nullable: true }),
  setup_remote_docker: builtin({ docker_layer_caching: flag, version: string, prefer_same_region: flag }, { nullable: true }),
  save_cache: builtin({ paths: stringOrStrings, key: string }, { required: ['paths', 'key'] }),
  restore_cache: builtin(
    { key: string, keys: list(string) },
    {
      also(m, path, ctx) {
        if (!('key' in m) && !('keys' in m)) issue(ctx, path, `missing required key 'key' or 'keys'`);
      },
    },
  ),
  store_artifacts: builtin({ path: string, destination: string }, { required: ['path'] }),
  store_test_results: builtin({ path: string }, { required: ['path'] }),
  persist_to_workspace: builtin({ root: string, paths: stringOrStrings }, { required: ['root', 'paths'] }),
  attach_workspace: builtin({ at: string }, { required: ['at'] }),
  // CircleCI takes one fingerprint as a plain string too.
  add_ssh_keys: builtin({ fingerprints: stringOrStrings }, { nullable: true }),
};
/** Built-ins that only exist with arguments (a bare `- save_cache` is meaningless). */
const NEEDS_ARGS = new Set(['save_cache', 'restore_cache', 'store_artifacts', 'store_test_results', 'persist_to_workspace', 'attach_workspace', 'when', 'unless']);

const steps: Shape = lazy(() => stepList, 'a list of steps', ['list']);

/** `when`/`unless` steps: a list of steps, or (as CircleCI accepts) a single step. */
const conditionalSteps: Shape = lazy(() => either(stepList, step), 'a list of steps', ['list', 'string', 'map']);
const conditionalStep = obj({ condition: lazy(() => logic, 'a logic statement', ['string', 'number', 'boolean', 'map', 'null']), steps: conditionalSteps }, {
  required: ['condition', 'steps'],
});

const step: Shape = custom('a step', ['string', 'map'], (v, path, ctx) => {
  if (typeof v === 'string') {
    if (NEEDS_ARGS.has(v) && !ctx.commands.has(v)) issue(ctx, path, `step '${v}' needs arguments`);
    return;
  }
  if (kindOf(v) !== 'map') return expected(ctx, path, 'a step (a name, or a map with one key)', v);
  const keys = Object.keys(v as object);
  if (keys.length !== 1) {
    return issue(ctx, path, `a step must be a map with exactly one key, got ${keys.length === 0 ? 'none' : keys.map((k) => `'${k}'`).join(', ')}`);
  }
  const name = keys[0];
  const args = (v as Record<string, unknown>)[name];
  const at = [...path, name];
  if (name === 'when' || name === 'unless') return run(conditionalStep, args, at, ctx);
  if (ctx.commands.has(name)) return run(commandArgs, args, at, ctx);
  if (name === 'steps') return run(steps, args, at, ctx);
  const known = Object.hasOwn(BUILTIN_STEPS, name) ? BUILTIN_STEPS[name] : undefined;
  // Not built in, not a command of this config, not an orb's (`orb/command`): a typo, most likely.
  if (!known && !name.includes('/')) {
    return issue(ctx, at, `unknown step type '${name}': not a built-in step (${Object.keys(BUILTIN_STEPS).join(', ')}) or a command defined in this config`);
  }
  run(known ?? commandArgs, args, at, ctx);
});

/** Arguments of a command invocation: parameter names to values (checked by the compiler). */
const commandArgs = either(dict(any), custom('a map of arguments', ['null'], () => {}));
const stepList: Shape = list(step, { what: 'a list of steps' });

// Logic statements --------------------------------------------------------------------------------

const LOGIC_OPERATORS = ['and', 'or', 'not', 'equal', 'matches'] as const;
const logic: Shape = custom('a logic statement', ['string', 'number', 'boolean', 'map', 'null'], (v, path, ctx) => {
  if (Array.isArray(v)) return expected(ctx, path, 'a logic statement (a value, or a map with one of and, or, not, equal, matches)', v);
  if (kindOf(v) !== 'map') return;
  const keys = Object.keys(v as object);
  const ops = keys.filter((k) => (LOGIC_OPERATORS as readonly string[]).includes(k));
  // A map without operators is a value (an executor compared with `equal`, say): truthy.
  if (ops.length === 0) return;
  if (keys.length !== 1) {
    return issue(ctx, path, `a logic statement must have exactly one key, got ${keys.map((k) => `'${k}'`).join(', ')}`);
  }
  const op = ops[0];
  const arg = (v as Record<string, unknown>)[op];
  const at = [...path, op];
  const shape = op === 'not' ? logic : op === 'matches' ? matches : op === 'equal' ? list(any, { min: 1 }) : list(logic, { min: 1, what: 'a list of logic statements' });
  run(shape, arg, at, ctx);
});
const matches = obj({ pattern: string, value: string }, { required: ['pattern', 'value'] });

// Parameters -------------------------------------------------------------------------------------

const ELEMENT_PARAM_TYPES = ['string', 'boolean', 'integer', 'enum', 'executor', 'steps', 'env_var_name'] as const;
const PIPELINE_PARAM_TYPES = ['string', 'boolean', 'integer', 'enum'] as const;

/** The shape a parameter value (a default, an argument) of each type must have. */
const PARAM_VALUE: Record<string, Shape> = {
  string: either(string, number),
  boolean: bool,
  integer: int(),
  enum: scalar,
  executor: either(string, obj({ name: string }, { open: true, required: ['name'] })),
  steps,
  env_var_name: str(ENV_NAME, 'an environment variable name'),
};

function parameterDecls(pipeline: boolean): Shape {
  const types = pipeline ? PIPELINE_PARAM_TYPES : ELEMENT_PARAM_TYPES;
  const decl = obj(
    {
      type: oneOfValues(types),
      default: any,
      description: string,
      enum: list(scalar, { min: 1, what: 'a list of values' }),
      display_name: string,
    },
    {
      required: pipeline ? ['type', 'default'] : ['type'],
      also(m, path, ctx) {
        const type = m.type;
        if (typeof type !== 'string' || !(types as readonly string[]).includes(type)) return;
        if (type === 'enum' && !('enum' in m)) issue(ctx, path, `missing required key 'enum'`);
        if (!('default' in m) || isReference(m.default)) return;
        const at = [...path, 'default'];
        if (type === 'enum' && Array.isArray(m.enum)) {
          if (!m.enum.some((e) => e === m.default)) {
            issue(ctx, at, `default ${describe(m.default)} is not one of ${m.enum.map((e) => String(e)).join(', ')}`);
          }
          return;
        }
        run(PARAM_VALUE[type], m.default, at, ctx);
      },
    },
  );
  return dict(decl, { keys: NAME, keyWhat: NAME_WHAT, nullable: true });
}

// Jobs -------------------------------------------------------------------------------------------

const JOB_TYPES = ['build', 'approval', 'no-op', 'release', 'lock', 'unlock'] as const;

const buildJob = obj(
  {
    ...executorFields,
    type: any,
    executor: either(str(undefined, 'an executor name'), obj({ name: string }, { open: true, required: ['name'] })),
    steps: list(step, { min: 1, what: 'a list of steps' }),
    parameters: parameterDecls(false),
    parallelism: int(1),
    circleci_ip_ranges: bool,
    retention: obj({ caches: str(/^\d+d$/, 'a number of days like 7d') }),
  },
  {
    required: ['steps'],
    also(m, path, ctx) {
      const kinds = EXECUTOR_KINDS.filter((k) => k in m);
      if (kinds.length > 1) issue(ctx, path, `a job can use only one of docker, machine, macos; found ${kinds.join(', ')}`);
      if (kinds.length === 0 && !('executor' in m)) issue(ctx, path, `a job needs an executor: one of executor, docker, machine, macos`);
    },
  },
);

const job = custom('a job (a map)', ['map', 'string'], (v, path, ctx) => {
  // A string is an alias of another job (`my-job: some-orb/their-job`).
  if (typeof v === 'string') return;
  if (kindOf(v) !== 'map') return expected(ctx, path, 'a job (a map)', v);
  const m = v as Record<string, unknown>;
  const type = m.type ?? 'build';
  if (isReference(type)) return buildJob.check(v, path, ctx);
  if (typeof type !== 'string' || !(JOB_TYPES as readonly string[]).includes(type)) {
    return expected(ctx, [...path, 'type'], `one of ${JOB_TYPES.join(', ')}`, type);
  }
  if (type === 'build') return buildJob.check(v, path, ctx);
  if (type === 'release') return run(obj({ plan_name: string }, { open: true, required: ['plan_name'] }), v, path, ctx);
  if (type === 'lock' || type === 'unlock') return run(obj({ key: string }, { open: true, required: ['key'] }), v, path, ctx);
  // approval / no-op: orchestration only, nothing else to check.
});

// Commands and executors -------------------------------------------------------------------------

const command = either(
  str(undefined, 'a command alias'),
  obj({ description: string, parameters: parameterDecls(false), steps: list(step, { min: 1, what: 'a list of steps' }) }, { required: ['steps'] }),
);

const executor = either(
  str(undefined, 'an executor alias'),
  obj(
    // `windows` comes from CircleCI's windows orb executors; accepted as is.
    { ...executorFields, windows: any, parameters: parameterDecls(false) },
    {
      also(m, path, ctx) {
        const kinds = [...EXECUTOR_KINDS, 'windows'].filter((k) => k in m);
        if (kinds.length > 1) issue(ctx, path, `an executor can use only one of docker, machine, macos; found ${kinds.join(', ')}`);
        if (kinds.length === 0) issue(ctx, path, `an executor needs one of docker, machine, macos`);
      },
    },
  ),
);

// Workflows --------------------------------------------------------------------------------------

const branchFilter = obj({ only: stringOrStrings, ignore: stringOrStrings });
const mapFilters = obj({ branches: branchFilter, tags: branchFilter });
const filters = either(str(undefined, 'a filter expression'), mapFilters);

const requiresItem = either(
  str(undefined, 'a job name'),
  custom('a map of job name to status', ['map'], (v, path, ctx) => {
    const entries = Object.entries(v as Record<string, unknown>);
    if (entries.length !== 1) return issue(ctx, path, `expected a map with exactly one job name, got ${entries.length} keys`);
    const [name, status] = entries[0];
    run(either(oneOfValues(REQUIRES_STATUS), list(oneOfValues(REQUIRES_STATUS), { min: 1 })), status, [...path, name], ctx);
  }),
);

const matrix = obj(
  {
    parameters: dict(either(list(any, { min: 1 }), str(REFERENCE, 'a list of values')), { what: 'a map of parameter names to lists of values' }),
    exclude: list(dict(any)),
    alias: string,
  },
  { required: ['parameters'] },
);

/** Keys with a meaning of their own in a workflow job entry; any other key is a job parameter. */
const invocationFields = {
  name: either(string, number),
  requires: list(requiresItem, { what: 'a list of job names' }),
  context: stringOrStrings,
  type: oneOfValues(JOB_TYPES),
  filters,
  matrix,
  'pre-steps': steps,
  'post-steps': steps,
  'serial-group': str(/^.+$/s, 'a non-empty string'),
  'override-with': string,
};
const invocationArgs = either(obj(invocationFields, { open: true }), custom('a map of arguments', ['null'], () => {}));

const workflowJob = custom('a job name or a map with one job name', ['string', 'map'], (v, path, ctx) => {
  if (typeof v === 'string') return;
  if (kindOf(v) !== 'map') return expected(ctx, path, 'a job name or a map with one job name', v);
  const keys = Object.keys(v as object);
  if (keys.length !== 1) {
    return issue(ctx, path, `a workflow job entry must be a map with exactly one key, got ${keys.length === 0 ? 'none' : keys.map((k) => `'${k}'`).join(', ')}`);
  }
  run(invocationArgs, (v as Record<string, unknown>)[keys[0]], [...path, keys[0]], ctx);
});

const workflowJobs = list(workflowJob, { min: 1, what: 'a list of jobs' });

const scheduleTrigger = obj({ schedule: obj({ cron: string, filters: obj({ branches: branchFilter }) }, { required: ['cron'] }) });

const workflow = obj(
  {
    jobs: workflowJobs,
    triggers: list(scheduleTrigger),
    when: logic,
    unless: logic,
    max_auto_reruns: int(1, 5),
  },
  {
    required: ['jobs'],
    also(m, path, ctx) {
      if ('when' in m && 'unless' in m) issue(ctx, path, `a workflow can have 'when' or 'unless', not both`);
    },
  },
);

const workflows = custom('a map of workflows', ['map'], (v, path, ctx) => {
  if (kindOf(v) !== 'map') return expected(ctx, path, 'a map of workflows', v);
  for (const [name, w] of Object.entries(v as Record<string, unknown>)) {
    if (name === 'version') run(either(number, string), w, [...path, name], ctx);
    else run(workflow, w, [...path, name], ctx);
  }
});

// Orbs -------------------------------------------------------------------------------------------

const orbRef = str(ORB_REF, 'an orb reference like namespace/name@1.2.3');
// https, and http for an allow-list entry that names an http prefix (docs/compatibility.md).
const orbUrl = /^https?:\/\/\S+$/;

/** Commands, jobs and executors, checked with the command names of their own scope. */
function scoped(v: Record<string, unknown>, path: PathSeg[], ctx: Ctx, fields: Record<string, Shape>): void {
  const cmds = v.commands;
  const inner: Ctx = {
    out: ctx.out,
    commands: new Set(cmds !== null && typeof cmds === 'object' && !Array.isArray(cmds) ? Object.keys(cmds) : []),
  };
  for (const [k, shape] of Object.entries(fields)) if (k in v) run(shape, v[k], [...path, k], inner);
}

const definitions = {
  commands: dict(command, { keys: NAME, keyWhat: NAME_WHAT, nullable: true }),
  executors: dict(executor, { keys: NAME, keyWhat: NAME_WHAT, nullable: true }),
  jobs: dict(job, { keys: /^[^/]+$/, keyWhat: 'a job name without /', nullable: true }),
};

const inlineOrbKeys = obj(
  { version: either(number, string), description: string, display: dict(any), examples: any, orbs: any, commands: any, executors: any, jobs: any },
  { open: true },
);

const inlineOrb: Shape = custom('an inline orb (a map)', ['map'], (v, path, ctx) => {
  if (kindOf(v) !== 'map') return expected(ctx, path, 'an inline orb (a map)', v);
  const m = v as Record<string, unknown>;
  run(inlineOrbKeys, m, path, ctx);
  if ('orbs' in m) run(orbs, m.orbs, [...path, 'orbs'], ctx);
  scoped(m, path, ctx, definitions);
});

const orbs: Shape = dict(
  custom('an orb reference or an inline orb', ['string', 'map'], (v, path, ctx) => {
    if (typeof v === 'string') {
      if (orbUrl.test(v)) return;
      return run(orbRef, v, path, ctx);
    }
    if (kindOf(v) !== 'map') return expected(ctx, path, 'an orb reference or an inline orb', v);
    run(inlineOrb, v, path, ctx);
  }),
  { keys: NAME, keyWhat: NAME_WHAT, nullable: true },
);

// The document -----------------------------------------------------------------------------------

const VERSIONS = new Set(['2', '2.0', '2.1']);
const version = custom('version 2.1', ['number', 'string'], (v, path, ctx) => {
  if ((typeof v === 'number' || typeof v === 'string') && VERSIONS.has(String(v))) return;
  expected(ctx, path, 'version 2.1', v);
});

const jobGroups = dict(obj({ jobs: workflowJobs }, { required: ['jobs'] }));

/** Top-level keys circlet knows; any other top-level key is an anchor holder and passes. */
const topLevel = obj(
  {
    version,
    setup: bool,
    orbs,
    parameters: parameterDecls(true),
    workflows,
    'job-groups': jobGroups,
    description: string,
    display: dict(any),
    experimental: any,
  },
  { required: ['version'], open: true, what: 'a config (a map)' },
);

const ONLY_21 = ['orbs', 'commands', 'executors', 'parameters', 'setup'] as const;

/** Structural problems of a parsed config, with paths as segments. */
export function structureIssues(doc: unknown): Issue[] {
  const ctx: Ctx = { out: [], commands: new Set() };
  if (kindOf(doc) !== 'map') {
    expected(ctx, [], 'a config (a map)', doc);
    return ctx.out;
  }
  const m = doc as Record<string, unknown>;
  run(topLevel, m, [], ctx);
  scoped(m, [], ctx, definitions);
  if (String(m.version) === '2' || String(m.version) === '2.0') {
    for (const key of ONLY_21) if (key in m) issue(ctx, [key], `'${key}' needs version 2.1`);
  }
  return ctx.out;
}

/** Structural validation of a parsed config: error diagnostics with dotted paths, no positions. */
export function validateStructure(doc: unknown): Diagnostic[] {
  return structureIssues(doc).map((i) => ({ severity: 'error', message: i.message, path: formatPath(i.path) }));
}
