// Job groups (top-level `job-groups:`): a named list of job invocations that a workflow invokes as
// one unit. [inferred semantics — the guide only says "pass through"; CircleCI documents the key
// but not its compiled form] A group invocation is expanded in place into its member
// invocations: members without `requires` inherit the group entry's `requires`; the entry's
// `context`, `filters` and `serial-group` apply to members that lack them; a `requires` naming
// the group means every member.
import type { Path } from './parse.ts';
import { isObj, splitEntry, type Diags } from './util.ts';

export interface WorkflowEntry {
  entry: unknown;
  path: Path;
  /** The job group this entry came from, if any. */
  group: string | null;
}

const INHERITED = ['context', 'filters', 'serial-group'];

/** Expands job-group invocations in a workflow's `jobs:` list. */
export function expandJobGroups(jobs: unknown[], groups: unknown, wfPath: Path, diags: Diags): WorkflowEntry[] {
  const defs = isObj(groups) ? groups : {};
  const out: WorkflowEntry[] = [];
  jobs.forEach((entry, i) => {
    const path = [...wfPath, 'jobs', i];
    const split = splitEntry(entry);
    if (!split || !Object.hasOwn(defs, split[0])) {
      out.push({ entry, path, group: null });
      return;
    }
    const [name, rawArgs] = split;
    const def = defs[name];
    if (!isObj(def) || !Array.isArray(def.jobs)) {
      diags.error(['job-groups', name], `Job group ${name} requires a list of jobs`);
      return;
    }
    const args = isObj(rawArgs) ? rawArgs : {};
    const unknown = Object.keys(args).filter((k) => k !== 'requires' && !INHERITED.includes(k));
    if (unknown.length > 0) diags.error(typeof entry === 'string' ? path : [...path, name], `Unexpected argument(s): ${unknown.join(', ')}`);
    def.jobs.forEach((member, j) => {
      const mp: Path = ['job-groups', name, 'jobs', j];
      const ms = splitEntry(member);
      if (!ms) {
        out.push({ entry: member, path: mp, group: name });
        return;
      }
      if (Object.hasOwn(defs, ms[0])) {
        diags.error(mp, `Job group ${name} cannot invoke another job group (${ms[0]})`);
        return;
      }
      const margs: Record<string, unknown> = isObj(ms[1]) ? { ...ms[1] } : {};
      if (margs.requires === undefined && args.requires !== undefined) margs.requires = args.requires;
      for (const k of INHERITED) if (margs[k] === undefined && args[k] !== undefined) margs[k] = args[k];
      out.push({ entry: Object.keys(margs).length === 0 ? ms[0] : { [ms[0]]: margs }, path: mp, group: name });
    });
  });
  return out;
}
