// Job compilation: parameters bound, body substituted, executor inlined (job keys win, environment
// merges), steps expanded with pre/post-steps, job environment emitted as a list of one-key maps.
import { callerHooks, defaultHooks, expandSteps } from './commands.ts';
import { scopeFor, type Ctx } from './context.ts';
import { EXECUTOR_TYPES, resolveExecutor } from './executors.ts';
import { checkParallelism, LIMITS } from './limits.ts';
import type { Namespace } from './orbs.ts';
import { bindArgs, readDecls } from './params.ts';
import type { Path } from './parse.ts';
import { substitute } from './template.ts';
import { isObj, omitKeys, scalarString } from './util.ts';

export interface JobInvocation {
  /** Job definition and where it was found. */
  def: Record<string, unknown>;
  defNs: Namespace;
  defPath: Path;
  jobName: string;
  /** Arguments, already substituted in the workflow scope. */
  args: Record<string, unknown>;
  preSteps: unknown;
  postSteps: unknown;
  /** Namespace of the invoker (the project), for pre/post-steps and steps/executor arguments. */
  callerNs: Namespace;
  path: Path;
}

const DROPPED = new Set(['parameters', 'description', 'executor']);

/** Compiles one job invocation to its `version: 2` job body. */
export function compileJob(inv: JobInvocation, ctx: Ctx): Record<string, unknown> {
  const { def, defNs, defPath, callerNs } = inv;
  const decls = readDecls(def.parameters, [...defPath, 'parameters'], ctx.diags, 'job');
  const bound = bindArgs(decls, inv.args, inv.path, ctx.diags, {
    ...callerHooks(callerNs, ctx, inv.path, 0),
    prepareDefault: defaultHooks(defNs, ctx, [...defPath, 'parameters'], 0),
  });
  const scope = scopeFor(defNs, bound, ctx);
  const raw = omitKeys(def, 'parameters', 'description');
  const body = substitute(raw, scope, ctx.diags, defPath) as Record<string, unknown>;
  const type = body.type ?? 'build';
  if (type !== 'build') {
    if (!['approval', 'no-op', 'release'].includes(scalarString(type))) ctx.diags.error([...defPath, 'type'], `Invalid job type '${scalarString(type)}'`);
    return body;
  }

  const own = EXECUTOR_TYPES.filter((k) => body[k] !== undefined);
  if (own.length > 1) ctx.diags.error(defPath, `Job ${inv.jobName} must use exactly one of docker, machine, macos or executor; found ${own.join(', ')}`);
  const executor = body.executor !== undefined ? resolveExecutor(body.executor, defNs, ctx, [...defPath, 'executor']) : null;
  if (own.length === 0 && body.executor === undefined) {
    ctx.diags.error(defPath, `Job ${inv.jobName} has no executor: one of docker, machine, macos or executor is required`);
  }
  if (body.steps === undefined) ctx.diags.error(defPath, `Job ${inv.jobName} has no steps`);
  checkParallelism(body.parallelism, [...defPath, 'parallelism'], ctx.diags);

  // pre/post-steps were substituted with the rest of the invocation, in the workflow scope.
  const pre = expandSteps(inv.preSteps ?? [], callerNs, ctx, [...inv.path, 'pre-steps']);
  const post = expandSteps(inv.postSteps ?? [], callerNs, ctx, [...inv.path, 'post-steps']);
  const steps = [...pre, ...expandSteps(body.steps, defNs, ctx, [...defPath, 'steps']), ...post];
  if (steps.length > LIMITS.stepsPerJob && !ctx.stepBudget?.reported) ctx.diags.error([...defPath, 'steps'], `Job ${inv.jobName} expands to ${steps.length} steps; at most ${LIMITS.stepsPerJob} are allowed per job`);

  const out: Record<string, unknown> = {};
  const exBody = executor?.body ?? {};
  const put = (k: string, v: unknown): void => {
    if (v !== undefined) out[k] = v;
  };
  // for-in with own keys only (a `__proto__` key may have set a prototype where it was copied).
  for (const k in body) {
    if (!Object.hasOwn(body, k)) continue;
    const v = body[k];
    if (k === 'executor') {
      for (const ek in exBody) {
        if (!Object.hasOwn(exBody, ek)) continue;
        const ev = exBody[ek];
        if (ek === 'environment') continue;
        if (EXECUTOR_TYPES.includes(ek) && own.length > 0) continue;
        if (body[ek] === undefined) put(ek, ev);
      }
      if (exBody.environment !== undefined && body.environment === undefined) put('environment', envList(exBody.environment, undefined));
      continue;
    }
    if (DROPPED.has(k)) continue;
    if (k === 'environment') put('environment', envList(exBody.environment, v));
    else if (k === 'steps') put('steps', steps);
    else put(k, v);
  }
  return out;
}

/** Merges executor and job environment (job wins) into a list of single-key maps. */
function envList(fromExecutor: unknown, fromJob: unknown): unknown {
  const merged: Record<string, unknown> = {};
  const add = (env: unknown): void => {
    if (isObj(env)) Object.assign(merged, env);
    else if (Array.isArray(env)) {
      for (const item of env) {
        if (isObj(item)) Object.assign(merged, item);
        else if (typeof item === 'string' && item.includes('=')) merged[item.slice(0, item.indexOf('='))] = item.slice(item.indexOf('=') + 1);
      }
    }
  };
  add(fromExecutor);
  add(fromJob);
  return Object.entries(merged).map(([k, v]) => ({ [k]: v }));
}
