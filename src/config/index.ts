// Public entry of the config compiler: a pure module (its only I/O is the OrbSource it is given).
//
//   compileConfig(source: string, options?: CompileOptions): Promise<CompileResult>
//     YAML text + pipeline values/parameters (+ an OrbSource) → the compiled `version: 2` config
//     (data and YAML, with `# Orb '…' resolved to '…'` headers) and diagnostics. Never throws for
//     bad input; `config` (typed, compiled.ts) and `compiled` (its document) are null when there
//     is any error diagnostic.
//   readCompiled(document) / readJob(body) / readBuildJob(body) / readStep(raw): the typed compiled
//     form of a stored `version: 2` document, job body or step (read-compiled.ts).
//   isFilteredIn(filters: unknown, ref: {branch?, tag?}, pipelineValues?, pipelineParameters?): boolean
//   selectWorkflows(config: CompiledConfig, ref: {branch?, tag?}, opts?: {pipelineValues?, pipelineParameters?, includeScheduled?}): SelectedWorkflow[]
//   evaluateCondition(statement, {pipelineValues?, pipelineParameters?}): {value, diagnostics}
//   checkContinuation({setupSource, continuationSource, passed, trigger}): Diagnostic[]
//   (DirectoryOrbSource is in ./orbs/directory.ts — import it from there; it reads files.)
//
// Layout: parse.ts (YAML 1.1 + locator) → pipeline-params.ts → orbs.ts (fetch + namespaces) →
// workflows.ts (invocations, names, requires; job-groups.ts) → matrix.ts / jobs.ts → executors.ts / commands.ts,
// with template.ts (`<< >>` substitution), expr.ts (expressions), params.ts (declarations and
// arguments), logic.ts (when/unless), filters.ts, semantic.ts, read-compiled.ts (document → typed
// compiled.ts), render.ts, select.ts.
export { compileConfig } from './compile.ts';
export { isFilteredIn, type GitRef } from './filters.ts';
export { selectWorkflows, type SelectedJob, type SelectedWorkflow, type SelectOptions } from './select.ts';
export { evaluateCondition } from './condition.ts';
export { checkContinuation, type ContinuationInput } from './continuation.ts';
export { readBuildJob, readCompiled, readJob, readRequirement, readStep } from './read-compiled.ts';
export * from './compiled.ts';
export type { TaskPayload } from './task-payload.ts';
export { compileFullMatch, FullMatcher, RegexSyntaxError } from './regex.ts';
export * from './types.ts';
