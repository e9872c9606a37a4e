// Pure parts of choosing what a local run runs: `--param` values typed as the config
// declares them, and the compiled config narrowed to one workflow and/or some jobs.
import { parse } from 'yaml';
import { selectWorkflows, type CompiledConfig, type GitRef, type PipelineValues } from '../config/index.ts';

export class UsageError extends Error {}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `KEY=VALUE` → [KEY, VALUE]; the value may contain `=`. */
export function splitAssignment(arg: string, option: string): [string, string] {
  const eq = arg.indexOf('=');
  if (eq <= 0) throw new UsageError(`${option} ${arg}: expected KEY=VALUE`);
  return [arg.slice(0, eq), arg.slice(eq + 1)];
}

/**
 * `--param` values typed by the config's `parameters:` declarations: booleans from
 * true/false (yes/no, on/off), integers from digits, enums checked against their values.
 * An undeclared name or a value of the wrong type is an error naming the parameter.
 */
export function typedParameters(source: string, given: Record<string, string>): Record<string, unknown> {
  if (Object.keys(given).length === 0) return {};
  let doc: unknown;
  try {
    doc = parse(source);
  } catch {
    return { ...given }; // the compiler reports the YAML error
  }
  const declared = isObj(doc) && isObj(doc.parameters) ? doc.parameters : {};
  const out: Record<string, unknown> = {};
  for (const [name, raw] of Object.entries(given)) {
    const decl = declared[name];
    if (!isObj(decl)) {
      const names = Object.keys(declared);
      throw new UsageError(`--param ${name}: the config declares no pipeline parameter '${name}'${names.length ? ` (it declares: ${names.join(', ')})` : ''}`);
    }
    const type = String(decl.type ?? 'string');
    if (type === 'boolean') {
      const v = raw.toLowerCase();
      if (['true', 'yes', 'on', '1'].includes(v)) out[name] = true;
      else if (['false', 'no', 'off', '0'].includes(v)) out[name] = false;
      else throw new UsageError(`--param ${name}: '${raw}' is not a boolean (true or false)`);
    } else if (type === 'integer') {
      if (!/^-?\d+$/.test(raw.trim())) throw new UsageError(`--param ${name}: '${raw}' is not an integer`);
      out[name] = Number(raw);
    } else if (type === 'enum') {
      const values = Array.isArray(decl.enum) ? decl.enum.map(String) : [];
      if (!values.includes(raw)) throw new UsageError(`--param ${name}: '${raw}' is not one of ${values.join(', ')}`);
      out[name] = raw;
    } else {
      out[name] = raw;
    }
  }
  return out;
}

export interface Selection {
  workflow?: string;
  jobs: string[];
  /** Only the named jobs, not the jobs they require. */
  only: boolean;
}

/** A raw workflow entry's final name and body (`name` or `{name: {...}}`). */
function entryOf(e: unknown): { name: string; key: string; body: Record<string, unknown> } {
  if (isObj(e)) {
    const key = Object.keys(e)[0] ?? '';
    const body = isObj(e[key]) ? (e[key] as Record<string, unknown>) : {};
    return { name: typeof body.name === 'string' ? body.name : key, key, body };
  }
  return { name: String(e), key: String(e), body: {} };
}

const requirementName = (r: unknown) => (isObj(r) ? (Object.keys(r)[0] ?? '') : String(r));

/**
 * The compiled document with only the workflows and jobs selected for this ref: one named
 * workflow, and with `jobs`, those jobs plus (unless `only`) everything they require.
 * Returns undefined when nothing is narrowed.
 */
export function narrowConfig(config: CompiledConfig, ref: GitRef, values: PipelineValues, sel: Selection): Record<string, unknown> | undefined {
  if (!sel.workflow && sel.jobs.length === 0) return undefined;
  let workflows = selectWorkflows(config, ref, { pipelineValues: values });
  if (sel.workflow) {
    const all = config.workflows.map((w) => w.name);
    if (!all.includes(sel.workflow)) throw new UsageError(`no workflow '${sel.workflow}' in the config${all.length ? ` (it has: ${all.join(', ')})` : ''}`);
    workflows = workflows.filter((w) => w.name === sel.workflow);
    if (workflows.length === 0) throw new UsageError(`workflow '${sel.workflow}' does not run on this ${ref.tag ? `tag (${ref.tag})` : `branch (${ref.branch})`}: its filters or when exclude it`);
  }
  const known = new Set(workflows.flatMap((w) => w.jobs.map((j) => j.name)));
  for (const name of sel.jobs) if (!known.has(name)) throw new UsageError(`--job ${name}: no such job in ${sel.workflow ? `workflow '${sel.workflow}'` : 'the workflows that run'} (jobs: ${[...known].join(', ')})`);
  const doc = config.document;
  const rawWorkflows = isObj(doc.workflows) ? doc.workflows : {};
  const out: Record<string, unknown> = { version: 2 };
  for (const wf of workflows) {
    let keep = new Set(wf.jobs.map((j) => j.name));
    if (sel.jobs.length > 0) {
      keep = new Set(sel.jobs.filter((n) => keep.has(n)));
      if (!sel.only) {
        const byName = new Map(wf.jobs.map((j) => [j.name, j]));
        const stack = [...keep];
        while (stack.length > 0) for (const r of byName.get(stack.pop()!)?.requires ?? []) if (!keep.has(r)) stack.push((keep.add(r), r));
      }
    }
    const raw = rawWorkflows[wf.name];
    if (keep.size === 0 || !isObj(raw) || !Array.isArray(raw.jobs)) continue;
    const jobs = raw.jobs
      .map(entryOf)
      .filter((e) => keep.has(e.name))
      .map((e) => {
        const { requires, filters: _filters, ...rest } = e.body;
        const kept = Array.isArray(requires) ? requires.filter((r) => keep.has(requirementName(r))) : [];
        return { [e.key]: { ...rest, ...(kept.length ? { requires: kept } : {}) } };
      });
    out[wf.name] = { ...raw, jobs };
  }
  return { ...doc, workflows: out };
}
