// The compile pipeline: parse → pipeline parameters → orbs stanza → (async) orb fetch →
// synchronous, pure compile of a 2.1 config; 2.0 configs pass through.
import type { Ctx } from './context.ts';
import { checkDocumentLimits, exceedsSize, LIMITS, mb, sourceTooLarge } from './limits.ts';
import { buildNamespace, fetchOrbs, type OrbTable } from './orbs.ts';
import { formatPath, parseYaml } from './parse.ts';
import { resolvePipelineParams } from './pipeline-params.ts';
import { readCompiled } from './read-compiled.ts';
import { renderCompiled } from './render.ts';
import { validateStructure } from './schema.ts';
import { checkDefinitions, checkTopLevel } from './semantic.ts';
import { substitute } from './template.ts';
import type { CompileOptions, CompileResult, Diagnostic } from './types.ts';
import { Diags, isObj, type RawDiagnostic } from './util.ts';
import { compileWorkflows } from './workflows.ts';

function result(diags: Diagnostic[], setup: boolean, orbs: { ref: string; resolved: string }[], compiled: Record<string, unknown> | null): CompileResult {
  let ok = compiled !== null && !diags.some((d) => d.severity === 'error');
  if (ok && exceedsSize(compiled, LIMITS.expandedBytes)) {
    diags.push({ severity: 'error', message: `The compiled config is larger than ${mb(LIMITS.expandedBytes)} (CircleCI's limit on the compiled config)`, path: '' });
    ok = false;
  }
  const config = ok && compiled !== null ? readCompiled(compiled) : null;
  return { config, compiled: config?.document ?? null, compiledYaml: config ? renderCompiled(config, orbs) : null, diagnostics: diags, setup, orbs };
}

export async function compileConfig(source: string, options: CompileOptions = {}): Promise<CompileResult> {
  const tooLarge = sourceTooLarge(source);
  if (tooLarge) return result([{ severity: 'error', message: tooLarge, path: '' }], false, [], null);
  const parsed = parseYaml(source);
  if (parsed.diagnostics.length > 0) return result(parsed.diagnostics, false, [], null);
  const doc = parsed.value;
  const diags = new Diags();
  let structural: RawDiagnostic[] = [];
  const finish = (compiled: Record<string, unknown> | null, setup: boolean, orbs: { ref: string; resolved: string }[]): CompileResult => {
    mergeStructural(diags, structural);
    // Errors are located through the Document path; where it rejects a text the fast path read,
    // the answer is the Document path's (its located syntax errors), as if it had read it first.
    const reference = diags.errorCount > 0 ? parsed.reference?.() : undefined;
    if (reference && reference.diagnostics.length > 0) return result(reference.diagnostics, false, [], null);
    return result(diags.toDiagnostics(parsed.locate), setup, orbs, compiled);
  };
  if (!isObj(doc)) {
    diags.error([], 'The config must be a YAML map');
    return finish(null, false, []);
  }
  const setup = doc.setup === true;
  const version = doc.version;
  if (version === 2 || version === '2' || version === '2.0') return finish(passThrough(doc, diags), setup, []);
  if (version !== 2.1 && version !== '2.1') {
    diags.error(version === undefined ? [] : ['version'], version === undefined ? "The config is missing required key 'version'" : `Unsupported config version '${String(version)}': expected 2.1 (or 2 / 2.0)`);
    return finish(null, setup, []);
  }

  // Counts first: a config with 50,000 jobs stops here, before any per-job work.
  if (!checkDocumentLimits(doc, diags)) return finish(null, setup, []);

  // Structural (schema) checks; positions are attached from the path by the locator.
  try {
    structural = validateStructure(doc).map((d) => ({ severity: d.severity, message: d.message, path: splitDotted(d.path) }));
  } catch (err) {
    diags.warn([], `Structural validation failed internally and was skipped: ${err instanceof Error ? err.message : String(err)}`);
  }

  checkTopLevel(doc, diags);
  const pipelineValues = options.pipelineValues ?? {};
  const pipelineParams = resolvePipelineParams(doc.parameters, options.pipelineParameters, pipelineValues, diags);
  // Pipeline parameters and values may choose registry orb versions; inline orbs stay untouched.
  const scope = { params: null, pipelineParams, pipelineValues, matrix: null };
  const orbs = isObj(doc.orbs)
    ? Object.fromEntries(Object.entries(doc.orbs).map(([k, v]) => [k, typeof v === 'string' ? substitute(v, scope, diags, ['orbs', k]) : v]))
    : doc.orbs;
  const before = diags.errorCount + structural.length;
  const { table, imported } = await fetchOrbs(orbs, ['orbs'], options.orbSource, diags);
  if (diags.errorCount + structural.length > before) return finish(null, setup, imported);
  let compiled: Record<string, unknown> | null = null;
  try {
    compiled = compileParsed({ ...doc, orbs }, table, { diags, pipelineParams, pipelineValues });
  } catch (err) {
    // A compiler bug must still surface as data, not as a rejected promise.
    diags.error([], `Internal compiler error: ${err instanceof Error ? err.message : String(err)}`);
  }
  return finish(compiled, setup, imported);
}

/** Synchronous, pure compile of a parsed 2.1 document whose registry orbs are in `table`. */
export function compileParsed(doc: Record<string, unknown>, table: OrbTable, ctx: Ctx): Record<string, unknown> | null {
  const ns = buildNamespace(doc, [], false, table, ctx.diags);
  checkDefinitions(ns, ctx);
  const { jobs, workflows } = compileWorkflows(doc, ns, ctx);
  if (ctx.diags.errorCount > 0) return null;
  return { version: 2, jobs, workflows };
}

/** 2.0 configs: CircleCI passes them through; reusable-config keys are not part of 2.0. */
function passThrough(doc: Record<string, unknown>, diags: Diags): Record<string, unknown> | null {
  for (const k of ['orbs', 'commands', 'executors', 'parameters']) {
    if (doc[k] !== undefined) diags.error([k], `'${k}' requires config version 2.1`);
  }
  if (doc.setup === true) diags.error(['setup'], 'setup: true requires config version 2.1');
  if (!isObj(doc.jobs)) diags.error(['jobs'], "A version 2 config requires a 'jobs' map");
  if (doc.workflows !== undefined && (!isObj(doc.workflows) || doc.workflows.version === undefined)) {
    diags.error(['workflows'], "A version 2 config requires 'workflows: version: 2'");
  }
  return diags.errorCount > 0 ? null : doc;
}

/**
 * Adds the schema's diagnostics first; a compiler diagnostic is dropped when the schema already
 * reported a problem at the same place or inside it (the same problem, found twice).
 */
function mergeStructural(diags: Diags, structural: RawDiagnostic[]): void {
  if (structural.length === 0) return;
  const keys = structural.map((d) => formatPath(d.path));
  const covered = (p: string): boolean => keys.some((k) => k === p || (p !== '' && (k.startsWith(`${p}.`) || k.startsWith(`${p}[`))));
  const own = diags.items.filter((d) => d.severity !== 'error' || !covered(formatPath(d.path)));
  diags.items.splice(0, diags.items.length, ...structural, ...own);
}

function splitDotted(p: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const m of p.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) out.push(m[2] !== undefined ? Number(m[2]) : m[1]);
  return out;
}
