// Compile context shared by the element compilers.
import type { Namespace } from './orbs.ts';
import type { Scope } from './template.ts';
import type { PipelineValues } from './types.ts';
import type { Diags } from './util.ts';

export interface Ctx {
  diags: Diags;
  pipelineParams: Record<string, unknown>;
  pipelineValues: PipelineValues;
  /** Steps still allowed to be expanded in this compile (guards against exponential command recursion). */
  stepBudget?: { left: number; reported: boolean };
  /** Command expansions of this compile, reused for identical invocations (see commands.ts). */
  commandMemo?: Map<unknown, Map<string, { steps: unknown[]; consumed: number }>>;
  /** Ids of namespaces, for memo keys. */
  nsIds?: Map<Namespace, number>;
}

/** Upper bound on expanded steps per compile; real configs stay far below it. */
export const STEP_BUDGET = 50_000;

/** The scope of an element defined in `ns` with bound parameters `params`. */
export function scopeFor(ns: Namespace, params: Record<string, unknown> | null, ctx: Ctx): Scope {
  return { params, pipelineParams: ns.isOrb ? null : ctx.pipelineParams, pipelineValues: ctx.pipelineValues, matrix: null };
}
