// Pipeline parameters: declarations (top-level `parameters:`), trigger values, type checks.
import { bindArgs, readDecls } from './params.ts';
import { substitute } from './template.ts';
import type { PipelineValues } from './types.ts';
import { isObj, type Diags } from './util.ts';

/** Resolves pipeline parameters: declared defaults overridden by trigger-supplied values. */
export function resolvePipelineParams(declared: unknown, given: Record<string, unknown> | undefined, pipelineValues: PipelineValues, diags: Diags): Record<string, unknown> {
  const decls = readDecls(declared, ['parameters'], diags, 'pipeline');
  const args = isObj(given) ? given : {};
  // Defaults may use pipeline values but not other pipeline parameters.
  const scope = { params: null, pipelineParams: null, pipelineValues, matrix: null };
  return bindArgs(decls, args, ['parameters'], diags, {
    prepareDefault: (name, _d, v) => substitute(v, scope, diags, ['parameters', name, 'default']),
  });
}
