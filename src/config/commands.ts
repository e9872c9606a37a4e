// Step expansion: commands spliced in place (recursively, lexically scoped), when/unless steps,
// `steps` parameters, and built-in steps normalized (`run: x` → `run: {command: x}`).
import { scopeFor, STEP_BUDGET, type Ctx } from './context.ts';
import { resolveExecutor } from './executors.ts';
import { evalLogic } from './logic.ts';
import { lookup, type Namespace } from './orbs.ts';
import { bindArgs, readDecls, type BindHooks } from './params.ts';
import type { Path } from './parse.ts';
import { substitute, type Scope } from './template.ts';
import { isObj, onlyKey, stableKey } from './util.ts';
import { ExecutorValue, StepsValue } from './values.ts';

export const BUILTIN_STEPS = new Set([
  'run', 'checkout', 'setup_remote_docker', 'save_cache', 'restore_cache', 'store_artifacts', 'store_test_results',
  'persist_to_workspace', 'attach_workspace', 'add_ssh_keys', 'install_signing_bundle', 'deploy', 'when', 'unless',
]);
const STRING_STEPS = new Set(['checkout', 'setup_remote_docker', 'add_ssh_keys', 'install_signing_bundle']);

const MAX_DEPTH = 60;

/** Hooks that turn steps/executor arguments into values in the caller's scope. */
export function callerHooks(ns: Namespace, ctx: Ctx, path: Path, depth: number): BindHooks {
  return {
    prepareArg: (name, decl, v) => {
      if (decl.type === 'steps') return v instanceof StepsValue ? v : new StepsValue(expandSteps(v, ns, ctx, [...path, name], depth + 1));
      if (decl.type === 'executor') return resolveExecutor(v, ns, ctx, [...path, name]) ?? unresolved(v);
      return v;
    },
  };
}

/** An executor value that could not be resolved (already reported): an empty body, no follow-on errors. */
function unresolved(v: unknown): ExecutorValue {
  return new ExecutorValue(isObj(v) ? String(v.name) : String(v), {});
}

/** Hooks that turn defaults into values in the declaring element's scope. */
export function defaultHooks(ns: Namespace, ctx: Ctx, declPath: Path, depth: number): BindHooks['prepareDefault'] {
  return (name, decl, v) => {
    const p = [...declPath, name, 'default'];
    const sub = substitute(v, scopeFor(ns, null, ctx), ctx.diags, p);
    if (decl.type === 'steps') return new StepsValue(expandSteps(sub, ns, ctx, p, depth + 1));
    if (decl.type === 'executor') return resolveExecutor(sub, ns, ctx, p) ?? unresolved(sub);
    return sub;
  };
}

/** Expands a list of already-substituted steps seen from namespace `ns`. */
export function expandSteps(steps: unknown, ns: Namespace, ctx: Ctx, path: Path, depth = 0): unknown[] {
  if (steps instanceof StepsValue) return [...steps.steps];
  if (steps === null || steps === undefined) return [];
  if (!Array.isArray(steps)) {
    ctx.diags.error(path, 'steps must be a list');
    return [];
  }
  const budget = (ctx.stepBudget ??= { left: STEP_BUDGET, reported: false });
  if (depth > MAX_DEPTH) {
    // Report once and stop expanding: a runaway recursion would otherwise repeat this everywhere.
    if (!budget.reported) ctx.diags.error(path, 'Commands are nested too deeply (a command may be invoking itself)');
    budget.reported = true;
    budget.left = 0;
    return [];
  }
  const out: unknown[] = [];
  for (let i = 0; i < steps.length; i++) expandStep(steps[i], i, out, budget, ns, ctx, path, depth);
  return out;
}

/** Expands the step at index `i` of a list into `out`. */
function expandStep(step: unknown, i: number, out: unknown[], budget: NonNullable<Ctx['stepBudget']>, ns: Namespace, ctx: Ctx, path: Path, depth: number): void {
  const p = [...path, i];
  if (--budget.left < 0) {
    if (!budget.reported) ctx.diags.error(p, `The config expands to more than ${STEP_BUDGET} steps (a command may be invoking itself)`);
    budget.reported = true;
    return;
  }
  if (step instanceof StepsValue) {
    out.push(...step.steps);
    return;
  }
  // (splitEntry without its pair array: this runs for every step of every job.)
  const key = typeof step === 'string' ? step : isObj(step) ? onlyKey(step) : undefined;
  if (key === undefined) {
    ctx.diags.error(p, 'Invalid step: a step must be a step name or a map with exactly one key');
    return;
  }
  const val = typeof step === 'string' ? undefined : (step as Record<string, unknown>)[key];
  if (key === 'when' || key === 'unless') {
    if (typeof step === 'string' || !isObj(val) || !Object.hasOwn(val, 'condition') || !Object.hasOwn(val, 'steps')) {
      ctx.diags.error(p, `A ${key} step requires 'condition' and 'steps'`);
      return;
    }
    const cond = evalLogic(val.condition, [...p, key, 'condition'], ctx.diags);
    if (cond === (key === 'when')) out.push(...expandSteps(val.steps, ns, ctx, [...p, key, 'steps'], depth + 1));
    return;
  }
  if (key === 'steps' && typeof step !== 'string') {
    out.push(...expandSteps(val, ns, ctx, [...p, 'steps'], depth + 1));
    return;
  }
  const found = lookup(ns, 'commands', key);
  if (found === 'placeholder') {
    ctx.diags.warn(p, `Command ${key} belongs to an empty inline orb (a placeholder filled in before continuation); the step is kept unexpanded`);
    out.push(step);
    return;
  }
  if (found) {
    out.push(...ctx.diags.within(`Error calling command: '${key}'`, () => invokeCommand(found.def, found.ns, found.path, key, val, ns, ctx, p, depth)));
    return;
  }
  if (BUILTIN_STEPS.has(key)) {
    const norm = normalizeBuiltin(key, step, val, ctx, p);
    if (norm !== null) out.push(norm);
    return;
  }
  ctx.diags.error(p, `Cannot find a definition for command named ${key}`);
}

/**
 * Invokes a command, reusing an identical earlier invocation of this compile: the same definition
 * (as found, in the same namespace), called from the same namespace at the same depth with the
 * same plain arguments expands to the same steps. Only expansions that added no diagnostic are
 * reused (a diagnostic carries its call site), and a reuse spends the step budget the expansion
 * spent. The steps are shared between the jobs that use them until `toPlain` copies each job.
 */
function invokeCommand(def: unknown, defNs: Namespace, defPath: Path, name: string, args: unknown, callerNs: Namespace, ctx: Ctx, path: Path, depth: number): unknown[] {
  const budget = ctx.stepBudget;
  const key = budget && !budget.reported && isObj(def) ? memoKey(defNs, callerNs, args, depth, ctx) : null;
  if (key === null || budget === undefined) return expandCommand(def, defNs, defPath, name, args, callerNs, ctx, path, depth);
  let byArgs = (ctx.commandMemo ??= new Map()).get(def);
  const hit = byArgs?.get(key);
  // The steps are returned as they are (not copied): the caller only spreads them into its own list.
  if (hit && budget.left - hit.consumed >= 0) {
    budget.left -= hit.consumed;
    return hit.steps;
  }
  const items = ctx.diags.items.length;
  const left = budget.left;
  const steps = expandCommand(def, defNs, defPath, name, args, callerNs, ctx, path, depth);
  if (ctx.diags.items.length === items && !budget.reported && budget.left >= 0) {
    if (!byArgs) ctx.commandMemo.set(def, (byArgs = new Map()));
    byArgs.set(key, { steps, consumed: left - budget.left });
  }
  return steps;
}

/** The memo key of an invocation; null when an argument is not plain data (resolved steps or executors). */
function memoKey(defNs: Namespace, callerNs: Namespace, args: unknown, depth: number, ctx: Ctx): string | null {
  if (!isPlainData(args)) return null;
  const ids = (ctx.nsIds ??= new Map());
  const id = (ns: Namespace): number => {
    let n = ids.get(ns);
    if (n === undefined) ids.set(ns, (n = ids.size));
    return n;
  };
  return `${id(defNs)}|${id(callerNs)}|${depth}|${stableKey(args ?? null)}`;
}

function isPlainData(v: unknown): boolean {
  if (v === null || v === undefined || typeof v === 'string' || typeof v === 'boolean') return true;
  // stableKey writes NaN, ±Infinity as null and -0 as 0: such arguments are not keyed.
  if (typeof v === 'number') return Number.isFinite(v) && !Object.is(v, -0);
  if (Array.isArray(v)) return v.every(isPlainData);
  if (isObj(v)) {
    for (const k of Object.keys(v)) if (!isPlainData(v[k])) return false;
    return true;
  }
  return false;
}

function expandCommand(def: unknown, defNs: Namespace, defPath: Path, name: string, args: unknown, callerNs: Namespace, ctx: Ctx, path: Path, depth: number): unknown[] {
  if (!isObj(def)) {
    ctx.diags.error(defPath, `Command ${name} must be a map with 'steps'`);
    return [];
  }
  if (args !== undefined && args !== null && !isObj(args)) {
    ctx.diags.error(path, `Arguments to command ${name} must be a map`);
    return [];
  }
  const decls = readDecls(def.parameters, [...defPath, 'parameters'], ctx.diags, 'command');
  const bound = bindArgs(decls, (args as Record<string, unknown> | undefined) ?? {}, [...path, name], ctx.diags, {
    ...callerHooks(callerNs, ctx, [...path, name], depth),
    prepareDefault: defaultHooks(defNs, ctx, [...defPath, 'parameters'], depth),
  });
  const scope: Scope = scopeFor(defNs, bound, ctx);
  if (def.steps === undefined) ctx.diags.error(defPath, `Command ${name} has no steps`);
  const body = substitute(def.steps, scope, ctx.diags, [...defPath, 'steps']);
  return expandSteps(body, defNs, ctx, [...defPath, 'steps'], depth + 1);
}

function normalizeBuiltin(key: string, step: unknown, val: unknown, ctx: Ctx, path: Path): unknown {
  if (typeof step === 'string') {
    if (!STRING_STEPS.has(key)) {
      ctx.diags.error(path, `Step ${key} requires arguments`);
      return null;
    }
    return step;
  }
  if ((key === 'run' || key === 'deploy') && typeof val === 'string') return { [key]: { command: val } };
  if (val === null && STRING_STEPS.has(key)) return key;
  if (!isObj(val)) {
    ctx.diags.error(path, `Step ${key} must be given a map of arguments`);
    return null;
  }
  if ((key === 'run' || key === 'deploy') && val.command === undefined) ctx.diags.error([...path, key], `Step ${key} requires 'command'`);
  return step;
}
