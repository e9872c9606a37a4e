// Semantic checks that do not belong to one compile step: top-level keys, every definition's
// parameter declarations (also for elements no workflow uses), job shape.
import type { Ctx } from './context.ts';
import { EXECUTOR_TYPES } from './executors.ts';
import type { Namespace } from './orbs.ts';
import { readDecls } from './params.ts';
import { isObj, type Diags } from './util.ts';

export function checkTopLevel(doc: Record<string, unknown>, diags: Diags): void {
  if (doc.setup !== undefined && typeof doc.setup !== 'boolean') diags.error(['setup'], 'setup must be a boolean');
  for (const k of ['jobs', 'commands', 'executors', 'orbs', 'workflows', 'parameters']) {
    if (doc[k] !== undefined && doc[k] !== null && !isObj(doc[k])) diags.error([k], `${k} must be a map`);
  }
  if (isObj(doc.jobs)) {
    const seen = new Map<string, string>();
    for (const name of Object.keys(doc.jobs)) {
      const lower = name.toLowerCase();
      const prev = seen.get(lower);
      if (prev !== undefined) diags.error(['jobs', name], `Job names must be unique ignoring case: '${name}' and '${prev}'`);
      seen.set(lower, name);
    }
  }
}

/** Checks the project's own definitions (orb definitions are checked when used). */
export function checkDefinitions(ns: Namespace, ctx: Ctx): void {
  for (const [name, def] of Object.entries(ns.commands)) {
    const p = [...ns.path, 'commands', name];
    if (typeof def === 'string') continue;
    if (!isObj(def)) {
      ctx.diags.error(p, `Command ${name} must be a map with 'steps'`);
      continue;
    }
    readDecls(def.parameters, [...p, 'parameters'], ctx.diags, 'command');
    if (!Array.isArray(def.steps) && typeof def.steps !== 'string') ctx.diags.error(p, `Command ${name} requires a list of steps`);
  }
  for (const [name, def] of Object.entries(ns.executors)) {
    const p = [...ns.path, 'executors', name];
    if (typeof def === 'string') continue;
    if (!isObj(def)) {
      ctx.diags.error(p, `Executor ${name} must be a map`);
      continue;
    }
    readDecls(def.parameters, [...p, 'parameters'], ctx.diags, 'executor');
  }
  for (const [name, def] of Object.entries(ns.jobs)) {
    const p = [...ns.path, 'jobs', name];
    if (typeof def === 'string') continue;
    if (!isObj(def)) {
      ctx.diags.error(p, `Job ${name} must be a map`);
      continue;
    }
    readDecls(def.parameters, [...p, 'parameters'], ctx.diags, 'job');
    const type = def.type ?? 'build';
    if (type === 'build') {
      const own = EXECUTOR_TYPES.filter((k) => def[k] !== undefined);
      if (own.length > 1) ctx.diags.error(p, `Job ${name} must use exactly one of docker, machine, macos or executor; found ${own.join(', ')}`);
    }
  }
}
