// Reusable executors: resolving `executor:` references (name, {name, args}, orb/name, parameter
// values) into the executor's compiled body, in the executor's own parameter scope.
import { scopeFor, type Ctx } from './context.ts';
import { lookup, type Namespace } from './orbs.ts';
import { bindArgs, readDecls } from './params.ts';
import type { Path } from './parse.ts';
import { substitute } from './template.ts';
import { isObj, omitKeys } from './util.ts';
import { ExecutorValue } from './values.ts';

export const EXECUTOR_TYPES = ['docker', 'machine', 'macos', 'windows'];

/** Resolves an (already substituted) executor reference seen from `ns`. Null when it cannot be. */
export function resolveExecutor(ref: unknown, ns: Namespace, ctx: Ctx, path: Path): ExecutorValue | null {
  if (ref instanceof ExecutorValue) return ref;
  const name = typeof ref === 'string' ? ref : isObj(ref) && typeof ref.name === 'string' ? ref.name : null;
  if (name === null) {
    ctx.diags.error(path, `Invalid executor reference: expected an executor name or a map with 'name'`);
    return null;
  }
  return ctx.diags.within(`Error calling executor: '${name}'`, () => resolveNamed(name, ref, ns, ctx, path));
}

function resolveNamed(name: string, ref: unknown, ns: Namespace, ctx: Ctx, path: Path): ExecutorValue | null {
  const args: Record<string, unknown> = isObj(ref) ? omitKeys(ref, 'name') : {};
  const found = lookup(ns, 'executors', name);
  if (found === 'placeholder') {
    ctx.diags.warn(path, `Executor ${name} belongs to an empty inline orb (a placeholder filled in before continuation); it is left unresolved`);
    return new ExecutorValue(name, {});
  }
  if (!found || !isObj(found.def)) {
    ctx.diags.error(path, `Cannot find a definition for executor named ${name}`);
    return null;
  }
  const decls = readDecls(found.def.parameters, [...found.path, 'parameters'], ctx.diags, 'executor');
  const bound = bindArgs(decls, args, path, ctx.diags, {
    prepareDefault: (_n, decl, v) => (decl.type === 'string' ? substitute(v, scopeFor(found.ns, {}, ctx), ctx.diags, found.path) : v),
  });
  const scope = scopeFor(found.ns, bound, ctx);
  const raw = omitKeys(found.def, 'parameters', 'description');
  const body = substitute(raw, scope, ctx.diags, found.path) as Record<string, unknown>;
  const kinds = EXECUTOR_TYPES.filter((k) => body[k] !== undefined);
  if (kinds.length > 1) ctx.diags.error(found.path, `Executor ${name} must use exactly one of docker, machine, macos or windows; found ${kinds.join(', ')}`);
  if (kinds.length === 0 && body.executor === undefined) ctx.diags.error(found.path, `Executor ${name} must use one of docker, machine, macos or windows`);
  return new ExecutorValue(name, body);
}
