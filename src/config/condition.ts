// Workflow-level condition evaluation, reusable outside a compile (e.g. by the pipeline engine).
import { evalLogic } from './logic.ts';
import { substitute, type Scope } from './template.ts';
import type { Diagnostic, PipelineValues } from './types.ts';
import { Diags } from './util.ts';

/**
 * Evaluates a workflow `when`/`unless` value (logic statement, `<< … >>` reference or bare
 * expression) with pipeline values and parameters. Never throws; problems are diagnostics.
 */
export function evaluateCondition(
  statement: unknown,
  input: { pipelineValues?: PipelineValues; pipelineParameters?: Record<string, unknown> } = {},
): { value: boolean; diagnostics: Diagnostic[] } {
  const diags = new Diags();
  const scope: Scope = { params: null, pipelineParams: input.pipelineParameters ?? {}, pipelineValues: input.pipelineValues ?? {}, matrix: null };
  const value = evalLogic(substitute(statement, scope, diags, []), [], diags, { expressions: { scope } });
  return { value, diagnostics: diags.toDiagnostics(() => undefined) };
}
