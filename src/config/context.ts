// Compile context shared by the element compilers.
import type { Namespace } from './orbs.ts';
import type { Scope } from './template.ts';
import type { PipelineValues } from './types.ts';
import type { Diags } from './util.ts';

export interface Ctx {
  diags: Diags;
  pipelineParams: Record<string, unknown>;
  pipelineValues: PipelineValues;
  /** Names of placeholder orbs already reported, to warn once per element. */
  warnedPlaceholders: Set<string>;
}

/** The scope of an element defined in `ns` with bound parameters `params`. */
export function scopeFor(ns: Namespace, params: Record<string, unknown> | null, ctx: Ctx): Scope {
  return { params, pipelineParams: ns.isOrb ? null : ctx.pipelineParams, pipelineValues: ctx.pipelineValues, matrix: null };
}
