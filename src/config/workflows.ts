// Workflows: when/unless, job invocations (arguments, matrix, names, approval), the global `jobs:`
// map of compiled invocations, requires resolution (aliases, duplicates) and cycle detection.
import { type Ctx } from './context.ts';
import { checkFilters } from './filters.ts';
import { expandJobGroups } from './job-groups.ts';
import { compileJob } from './jobs.ts';
import { evalLogic } from './logic.ts';
import { LIMITS, tooManyJobs, tooManyPipelineJobs } from './limits.ts';
import { expandMatrix, matrixInstanceName } from './matrix.ts';
import { lookup, type Namespace } from './orbs.ts';
import { readDecls, RESERVED_JOB_KEYS } from './params.ts';
import type { Path } from './parse.ts';
import { substitute, type Scope } from './template.ts';
import { isObj, omitKeys, scalarString, splitEntry, stableEqual } from './util.ts';
import { toPlain } from './values.ts';

/** Invocation keys carried to the compiled workflow entry. */
const OUTPUT_KEYS = ['requires', 'context', 'filters', 'type', 'serial-group', 'override-with', 'max_auto_reruns'];

interface Invocation {
  jobRef: string;
  name: string;
  explicitName: boolean;
  alias: string | null;
  /** Job group the invocation came from; requiring the group means all its members. */
  group: string | null;
  workflow?: string;
  entry: Record<string, unknown>;
  body: Record<string, unknown> | null;
  path: Path;
  finalName?: string;
}

export interface CompiledWorkflows {
  jobs: Record<string, unknown>;
  workflows: Record<string, unknown>;
}

export function compileWorkflows(doc: Record<string, unknown>, ns: Namespace, ctx: Ctx): CompiledWorkflows {
  let workflows = doc.workflows;
  if (workflows === undefined || workflows === null) {
    if (isObj(doc.jobs) && Object.hasOwn(doc.jobs, 'build')) workflows = { workflow: { jobs: ['build'] } };
    else {
      ctx.diags.error(['workflows'], 'The config has no workflows (and no job named build to run implicitly)');
      return { jobs: {}, workflows: {} };
    }
  }
  if (!isObj(workflows)) {
    ctx.diags.error(['workflows'], 'workflows must be a map');
    return { jobs: {}, workflows: {} };
  }
  const wfScope: Scope = { params: null, pipelineParams: ctx.pipelineParams, pipelineValues: ctx.pipelineValues, matrix: null };
  const kept: { name: string; wf: Record<string, unknown>; invs: Invocation[] }[] = [];
  let total = 0;
  let jobCount = 0;
  for (const [wfName, wf] of Object.entries(workflows)) {
    if (wfName === 'version') continue;
    total++;
    const wp: Path = ['workflows', wfName];
    if (!isObj(wf)) {
      ctx.diags.error(wp, `Workflow ${wfName} must be a map with 'jobs'`);
      continue;
    }
    ctx.diags.within(`Error calling workflow: '${wfName}'`, () => {
      if (!workflowRuns(wf, wfScope, wp, ctx)) return;
      if (!Array.isArray(wf.jobs) || wf.jobs.length === 0) {
        ctx.diags.error([...wp, 'jobs'], `Workflow ${wfName} must have a non-empty list of jobs`);
        return;
      }
      const invs: Invocation[] = [];
      for (const e of expandJobGroups(wf.jobs, doc['job-groups'], wp, ctx.diags)) {
        for (const inv of readInvocation(e.entry, e.path, ns, wfScope, ctx, e.group)) invs.push({ ...inv, workflow: wfName });
        if (invs.length > LIMITS.jobsPerWorkflow) {
          ctx.diags.error([...wp, 'jobs'], tooManyJobs(wfName, invs.length));
          return;
        }
        if (jobCount + invs.length > LIMITS.jobsPerPipeline) {
          ctx.diags.error([...wp, 'jobs'], tooManyPipelineJobs(jobCount + invs.length));
          return;
        }
      }
      jobCount += invs.length;
      kept.push({ name: wfName, wf, invs });
    });
  }
  // CircleCI fails the pipeline (not the compile) when every workflow is filtered out.
  if (total > 0 && kept.length === 0 && ctx.diags.errorCount === 0) ctx.diags.warn(['workflows'], 'All Workflows have been filtered from this Pipeline.');

  assignNames(kept, ctx);
  const jobs: Record<string, unknown> = {};
  // `version: 2` goes first when the input had it first, else last (as `config process` prints it).
  const outWorkflows: Record<string, unknown> = Object.keys(workflows)[0] === 'version' ? { version: 2 } : {};
  for (const { name, wf, invs } of kept) {
    ctx.diags.within(`Error calling workflow: '${name}'`, () => {
      resolveRequires(name, invs, ctx);
      findCycle(name, invs, ctx);
    });
    const list = invs.map((inv) => {
      if (inv.body) jobs[inv.finalName ?? inv.name] = inv.body;
      const extra: Record<string, unknown> = {};
      for (const k of OUTPUT_KEYS) if (inv.entry[k] !== undefined) extra[k] = toPlain(inv.entry[k]);
      return Object.keys(extra).length === 0 ? inv.finalName : { [inv.finalName ?? inv.name]: extra };
    });
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(wf)) {
      if (k === 'when' || k === 'unless') continue;
      out[k] = k === 'jobs' ? list : substitute(v, wfScope, ctx.diags, ['workflows', name, k]);
    }
    outWorkflows[name] = out;
  }
  if (!Object.hasOwn(outWorkflows, 'version')) outWorkflows.version = 2;
  return { jobs, workflows: outWorkflows };
}

function workflowRuns(wf: Record<string, unknown>, scope: Scope, wp: Path, ctx: Ctx): boolean {
  for (const key of ['when', 'unless'] as const) {
    if (wf[key] === undefined) continue;
    const stmt = substitute(wf[key], scope, ctx.diags, [...wp, key]);
    const v = evalLogic(stmt, [...wp, key], ctx.diags, { expressions: { scope } });
    if (v !== (key === 'when')) return false;
  }
  return true;
}

function readInvocation(entry: unknown, path: Path, ns: Namespace, wfScope: Scope, ctx: Ctx, group: string | null): Invocation[] {
  const split = splitEntry(entry);
  if (!split) {
    ctx.diags.error(path, 'A workflow job must be a job name or a map with exactly one job name');
    return [];
  }
  const [jobRef, rawArgs] = split;
  if (rawArgs !== undefined && rawArgs !== null && !isObj(rawArgs)) {
    ctx.diags.error(path, `Arguments to job ${jobRef} must be a map`);
    return [];
  }
  const args: Record<string, unknown> = (rawArgs as Record<string, unknown> | undefined) ?? {};
  const argPath = typeof entry === 'string' ? path : [...path, jobRef];
  let instances: (Record<string, unknown> | null)[] = [null];
  let alias: string | null = null;
  if (args.matrix !== undefined) {
    const m = expandMatrix(substitute(args.matrix, wfScope, ctx.diags, [...argPath, 'matrix']), [...argPath, 'matrix'], ctx.diags);
    instances = m.instances;
    alias = m.alias ?? jobRef;
  }
  const rest = omitKeys(args, 'matrix');
  const isApproval = rest.type === 'approval';
  const found = isApproval ? null : lookup(ns, 'jobs', jobRef);
  if (!isApproval && found === null) ctx.diags.error(path, `Cannot find a definition for job named ${jobRef}`);
  if (found === 'placeholder') ctx.diags.warn(path, `Job ${jobRef} belongs to an empty inline orb (a placeholder filled in before continuation); it is left uncompiled`);
  const def = found && found !== 'placeholder' && isObj(found.def) ? found : null;
  if (found && found !== 'placeholder' && !isObj(found.def)) ctx.diags.error(found.path, `Job ${jobRef} must be a map`);

  const out: Invocation[] = [];
  for (const inst of instances) {
    const scope: Scope = { ...wfScope, matrix: inst };
    const sub = substitute(rest, scope, ctx.diags, argPath) as Record<string, unknown>;
    const jobArgs: Record<string, unknown> = {};
    for (const k in sub) if (Object.hasOwn(sub, k) && !RESERVED_JOB_KEYS.includes(k)) jobArgs[k] = sub[k];
    if (inst && !isApproval) {
      const decls = def && isObj(def.def) ? readDecls(def.def.parameters, [...def.path, 'parameters'], ctx.diags, 'job') : null;
      for (const [k, v] of Object.entries(inst)) {
        if (decls && !Object.hasOwn(decls, k)) {
          ctx.diags.error([...argPath, 'matrix', 'parameters', k], `Matrix parameter '${k}' is not a parameter of job ${jobRef}`);
          continue;
        }
        jobArgs[k] = v;
      }
    }
    if (sub['serial-group'] !== undefined) checkSerialGroup(sub['serial-group'], [...argPath, 'serial-group'], ctx);
    checkFilters(sub.filters, [...argPath, 'filters'], ctx.diags);
    const explicitName = sub.name !== undefined;
    const name = explicitName ? scalarString(sub.name) : inst ? matrixInstanceName(jobRef, inst) : jobRef;
    let body: Record<string, unknown> | null = null;
    if (def && isObj(def.def)) {
      const d = def.def;
      const inv = { def: d, defNs: def.ns, defPath: def.path, jobName: jobRef, args: jobArgs, preSteps: sub['pre-steps'], postSteps: sub['post-steps'], callerNs: ns, path: argPath };
      body = toPlain(ctx.diags.within(`Error calling job: '${jobRef}'`, () => compileJob(inv, ctx))) as Record<string, unknown>;
    } else if (isApproval && Object.keys(jobArgs).length > 0) {
      ctx.diags.error(argPath, `Unexpected argument(s): ${Object.keys(jobArgs).join(', ')}`);
    }
    out.push({ jobRef, name, explicitName, alias: inst ? alias : null, group, entry: sub, body, path: argPath });
  }
  return out;
}

function checkSerialGroup(v: unknown, path: Path, ctx: Ctx): void {
  const s = scalarString(v);
  if (s.length > 512 || !/^[A-Za-z0-9./_-]+$/.test(s)) ctx.diags.error(path, `Invalid serial-group '${s}': at most 512 characters of [A-Za-z0-9./_-]`);
}

/** Duplicate names: explicit duplicates in a workflow are errors; implicit ones get -1, -2 ... */
function assignNames(kept: { name: string; invs: Invocation[] }[], ctx: Ctx): void {
  const byName = new Map<string, Invocation[]>();
  for (const { name: wfName, invs } of kept) {
    const local = groupBy(invs, (inv) => inv.name);
    for (const [n, group] of local) {
      if (group.length > 1 && group.some((g) => g.explicitName)) {
        ctx.diags.error(group[1].path, `Duplicate job name '${n}' in workflow '${wfName}'`);
      }
    }
    for (const inv of invs) pushTo(byName, inv.name, inv);
  }
  for (const [n, group] of byName) {
    // Bodies are compared (a canonical rendering each) only for names used more than once.
    const sameWorkflowDup = group.length > 1 && new Set(group.map((g) => g.workflow)).size < group.length;
    if (group.length === 1 || (!sameWorkflowDup && group.every((g) => stableEqual(g.body, group[0]!.body)))) {
      for (const g of group) g.finalName = n;
    } else {
      group.forEach((g, i) => (g.finalName = `${n}-${i + 1}`));
    }
  }
}

function pushTo<T>(m: Map<string, T[]>, key: string, v: T): void {
  const list = m.get(key);
  if (list) list.push(v);
  else m.set(key, [v]);
}

function groupBy<T>(xs: readonly T[], key: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of xs) pushTo(m, key(x), x);
  return m;
}

function reqName(r: unknown): [string, unknown] | null {
  if (typeof r === 'string') return [r, undefined];
  if (typeof r === 'number') return [String(r), undefined];
  const s = splitEntry(r);
  return s && s[1] !== undefined ? s : null;
}

const STATUSES = ['success', 'failed', 'canceled', 'unauthorized', 'not_run', 'terminal'];

function resolveRequires(wfName: string, invs: Invocation[], ctx: Ctx): void {
  const byName = groupBy(invs, (inv) => inv.name);
  const byAlias = new Map<string, Invocation[]>();
  for (const inv of invs) {
    if (inv.alias !== null) pushTo(byAlias, inv.alias, inv);
    if (inv.group !== null && inv.group !== inv.alias) pushTo(byAlias, inv.group, inv);
  }
  for (const inv of invs) {
    const req = inv.entry.requires;
    if (req === undefined || req === null) continue;
    const rp = [...inv.path, 'requires'];
    if (!Array.isArray(req)) {
      ctx.diags.error(rp, `requires must be a list of job names`);
      continue;
    }
    const out: unknown[] = [];
    req.forEach((r, i) => {
      const rn = reqName(r);
      if (!rn) {
        ctx.diags.error([...rp, i], 'A requires entry must be a job name or a map of a job name to statuses');
        return;
      }
      const [target, status] = rn;
      if (status !== undefined) {
        const sts = Array.isArray(status) ? status : [status];
        for (const s of sts) if (!STATUSES.includes(scalarString(s))) ctx.diags.error([...rp, i], `Invalid requires status '${scalarString(s)}': expected one of ${STATUSES.join(', ')}`);
      }
      let named = byName.get(target) ?? [];
      // A suffixed final name (`job-2`) may be required directly.
      if (named.length === 0) named = invs.filter((x) => x.finalName === target);
      const aliased = (byAlias.get(target) ?? []).filter((a) => a.name !== target);
      let targets: Invocation[];
      if (named.length > 1) {
        ctx.diags.error([...rp, i], `Job '${inv.name}' requires '${target}', which is the name of ${named.length} other jobs in workflow '${wfName}'`);
        return;
      } else if (named.length === 1 && aliased.length > 0) {
        ctx.diags.error([...rp, i], `Job '${inv.name}' requires '${target}', which is both a job name and a matrix alias in workflow '${wfName}'`);
        return;
      } else if (named.length === 1) targets = named;
      else if (aliased.length > 0) targets = aliased;
      else {
        ctx.diags.error([...rp, i], `${inv.name}: requires job "${target}" but "${target}" is not part of this workflow.`);
        return;
      }
      for (const t of targets) {
        const fn = t.finalName ?? t.name;
        out.push(status === undefined ? fn : { [fn]: status });
      }
    });
    inv.entry = { ...inv.entry, requires: out };
  }
}

function findCycle(wfName: string, invs: Invocation[], ctx: Ctx): void {
  const edges = new Map<string, string[]>();
  for (const inv of invs) {
    const reqs = Array.isArray(inv.entry.requires) ? inv.entry.requires : [];
    edges.set(inv.finalName ?? inv.name, reqs.map((r) => (typeof r === 'string' ? r : Object.keys(r as object)[0])));
  }
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const visit = (n: string): boolean => {
    if (state.get(n) === 2) return false;
    if (state.get(n) === 1) {
      const cycle = [...stack.slice(stack.indexOf(n)), n];
      const inv = invs.find((x) => (x.finalName ?? x.name) === n);
      ctx.diags.error(inv ? [...inv.path, 'requires'] : ['workflows', wfName], `Cycle in requires of workflow '${wfName}': ${cycle.join(' -> ')}`);
      return true;
    }
    state.set(n, 1);
    stack.push(n);
    for (const m of edges.get(n) ?? []) if (visit(m)) return true;
    stack.pop();
    state.set(n, 2);
    return false;
  };
  for (const n of edges.keys()) if (visit(n)) return;
}
