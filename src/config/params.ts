// Parameter declarations, argument type-checking and binding (jobs, commands, executors).
import type { Path } from './parse.ts';
import { Diags, isObj, scalarString } from './util.ts';
import { ExecutorValue, StepsValue } from './values.ts';

export const ELEMENT_TYPES = ['string', 'boolean', 'integer', 'enum', 'executor', 'steps', 'env_var_name'] as const;
export const PIPELINE_TYPES = ['string', 'boolean', 'integer', 'enum'] as const;

export interface ParamDecl {
  type: string;
  hasDefault: boolean;
  default?: unknown;
  enum?: unknown[];
}
export type Decls = Record<string, ParamDecl>;

export type DeclKind = 'job' | 'command' | 'executor' | 'pipeline';

/** Job-invocation keys that cannot be job parameter names. */
export const RESERVED_JOB_KEYS = ['name', 'requires', 'context', 'type', 'filters', 'matrix', 'pre-steps', 'post-steps', 'serial-group', 'override-with'];

const NAME_RE = /^[A-Za-z][A-Za-z0-9_.-]*$/;
export const ENV_VAR_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Declarations read without a diagnostic, by declaration map and kind: a job or command is
 * invoked many times per compile (and an orb's parsed data is shared between compiles), and
 * its declarations read the same each time. The compiler never changes its data in place.
 */
const cleanDecls = new WeakMap<object, Partial<Record<DeclKind, Decls>>>();

/** Reads and checks a `parameters:` declaration map. The result is shared: callers do not change it. */
export function readDecls(raw: unknown, path: Path, diags: Diags, kind: DeclKind): Decls {
  if (raw === undefined || raw === null) return {};
  if (!isObj(raw)) {
    diags.error(path, 'parameters must be a map of parameter names to declarations');
    return {};
  }
  const known = cleanDecls.get(raw)?.[kind];
  if (known) return known;
  // Checked into diagnostics of its own (the compile's drop repeats, which would hide a problem).
  const own = new Diags();
  const out = checkDecls(raw, path, own, kind);
  if (own.items.length === 0) {
    let byKind = cleanDecls.get(raw);
    if (!byKind) cleanDecls.set(raw, (byKind = {}));
    byKind[kind] = out;
  }
  for (const d of own.items) {
    if (d.severity === 'error') diags.error(d.path, d.message);
    else diags.warn(d.path, d.message);
  }
  return out;
}

function checkDecls(raw: Record<string, unknown>, path: Path, diags: Diags, kind: DeclKind): Decls {
  const out: Decls = {};
  const allowed: readonly string[] = kind === 'pipeline' ? PIPELINE_TYPES : ELEMENT_TYPES;
  for (const [name, d] of Object.entries(raw)) {
    const p = [...path, name];
    if (!NAME_RE.test(name)) diags.error(p, `Invalid parameter name '${name}': must start with a letter and contain only letters, digits, '_', '-' or '.'`);
    if (kind === 'job' && RESERVED_JOB_KEYS.includes(name)) diags.error(p, `Parameter name '${name}' is reserved for job invocations and cannot be declared by a job`);
    if (!isObj(d)) {
      diags.error(p, `Parameter '${name}' must be a map with a 'type'`);
      continue;
    }
    const type = d.type;
    // An invalid declaration is still registered (unchecked), so its uses do not cascade into more errors.
    const unchecked: ParamDecl = { type: '', hasDefault: Object.hasOwn(d, 'default'), default: d.default };
    if (type === undefined) {
      diags.error(p, `Parameter '${name}' is missing required key 'type'`);
      out[name] = unchecked;
      continue;
    }
    if (typeof type !== 'string' || !allowed.includes(type)) {
      diags.error([...p, 'type'], `Parameter '${name}' has invalid type '${scalarString(type)}'; expected one of: ${allowed.join(', ')}`);
      out[name] = unchecked;
      continue;
    }
    const decl: ParamDecl = { type, hasDefault: Object.hasOwn(d, 'default') };
    if (decl.hasDefault) decl.default = d.default;
    if (type === 'enum') {
      if (!Array.isArray(d.enum) || d.enum.length === 0) {
        diags.error(p, `Parameter '${name}' of type enum requires a non-empty 'enum' list`);
        out[name] = unchecked;
        continue;
      }
      decl.enum = d.enum;
    }
    if (kind === 'pipeline' && !decl.hasDefault) diags.error(p, `Pipeline parameter '${name}' must have a default value`);
    if (decl.hasDefault && decl.default !== null) {
      const err = typeError(name, decl, decl.default, true);
      if (err) diags.error([...p, 'default'], err.replace('Type error for argument', 'Type error for default of parameter'));
    }
    out[name] = decl;
  }
  return out;
}

function describe(v: unknown): string {
  if (v instanceof ExecutorValue) return `executor ${v.executorName}`;
  if (v instanceof StepsValue || Array.isArray(v)) return 'a list';
  if (isObj(v)) return 'a map';
  const t = typeof v === 'number' ? (Number.isInteger(v) ? 'integer' : 'float') : v === null ? 'null' : typeof v;
  return `${JSON.stringify(v)} (type ${t})`;
}

function badType(name: string, expected: string, v: unknown): string {
  return `Type error for argument ${name}: expected type: ${expected}, actual value: ${describe(v)}`;
}

/** Returns an error message when `v` does not fit the declaration, else null. */
export function typeError(name: string, decl: ParamDecl, v: unknown, isDefault = false): string | null {
  switch (decl.type) {
    case 'string':
      // Numbers are accepted (unquoted versions like 3.10 are common); booleans are not.
      return typeof v === 'string' || typeof v === 'number' ? null : badType(name, 'string', v);
    case 'boolean':
      return typeof v === 'boolean' ? null : badType(name, 'boolean', v);
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v) ? null : badType(name, 'integer', v);
    case 'env_var_name':
      return typeof v === 'string' && (ENV_VAR_RE.test(v) || (isDefault && v === '')) ? null : badType(name, 'env_var_name', v);
    case 'enum': {
      const allowed = decl.enum ?? [];
      if (allowed.some((a) => scalarString(a) === scalarString(v) && !isObj(v) && !Array.isArray(v))) return null;
      return `Type error for argument ${name}: expected type: enum, actual value: ${describe(v)} is not one of: ${allowed.map(scalarString).join(', ')}`;
    }
    case 'steps':
      return Array.isArray(v) || v instanceof StepsValue ? null : badType(name, 'steps', v);
    case 'executor':
      return typeof v === 'string' || v instanceof ExecutorValue || (isObj(v) && typeof v.name === 'string') ? null : badType(name, 'executor', v);
  }
  return null;
}

export interface BindHooks {
  /** Turns a provided argument of type steps/executor into its value, in the caller's scope. */
  prepareArg?: (name: string, decl: ParamDecl, value: unknown) => unknown;
  /** Turns a default of type steps/executor into its value, in the declaring element's scope. */
  prepareDefault?: (name: string, decl: ParamDecl, value: unknown) => unknown;
}

/**
 * Binds already-substituted arguments to declarations: reports unexpected arguments, missing
 * required ones and type errors. Returns the parameter values (defaults applied).
 */
export function bindArgs(decls: Decls, args: Record<string, unknown>, path: Path, diags: Diags, hooks: BindHooks = {}): Record<string, unknown> {
  let unexpected: string[] | null = null;
  // for-in with own keys only (a `__proto__` argument may have set a prototype).
  for (const k in args) if (Object.hasOwn(args, k) && !Object.hasOwn(decls, k)) (unexpected ??= []).push(k);
  if (unexpected !== null) diags.error(path, `Unexpected argument(s): ${unexpected.join(', ')}`);
  const missing: string[] = [];
  const out: Record<string, unknown> = {};
  for (const name in decls) {
    if (!Object.hasOwn(decls, name)) continue;
    const decl = decls[name]!;
    if (Object.hasOwn(args, name) && args[name] !== undefined) {
      let v = args[name];
      if (v === null && decl.type === 'steps') v = [];
      const err = typeError(name, decl, v);
      if (err) {
        diags.error([...path, name], err);
        out[name] = decl.type === 'steps' ? [] : v; // bound anyway, to avoid follow-on errors
        continue;
      }
      out[name] = hooks.prepareArg ? hooks.prepareArg(name, decl, v) : v;
    } else if (decl.hasDefault) {
      let v = decl.default;
      if (v === null) v = decl.type === 'steps' ? [] : decl.type === 'string' ? '' : v;
      out[name] = hooks.prepareDefault && v !== null ? hooks.prepareDefault(name, decl, v) : v;
    } else {
      missing.push(name);
      out[name] = decl.type === 'steps' ? [] : ''; // bound anyway, to avoid follow-on errors
    }
  }
  if (missing.length > 0) diags.error(path, `Missing required argument(s): ${missing.join(', ')}`);
  return out;
}
