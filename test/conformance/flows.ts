// Pipelines in known states for conformance cases: a project whose jobs ask for the
// self-hosted resource class `conformance/runner`, and a scripted agent (with the context's
// runner token) that claims only those jobs and finishes them as a case asks.
import crypto from 'node:crypto';
import type { makeRepo } from '../helpers/git.ts';
import { repoProject } from '../helpers/flow.ts';
import { ScriptedAgent, type Outcome } from '../helpers/scripted-agent.ts';
import type { CaseContext } from './harness.ts';

/** Two workflows: `main` (build → test, test runs twice in parallel) and `gated` (hold → deploy). */
export const FLOW_CONFIG = `version: 2.1
parameters:
  greeting:
    type: string
    default: hello
executors:
  runner:
    machine: true
    resource_class: conformance/runner
jobs:
  build:
    executor: runner
    steps: [checkout, {run: echo << pipeline.parameters.greeting >>}]
  test:
    executor: runner
    parallelism: 2
    steps: [{run: echo test}]
  deploy:
    executor: runner
    steps: [{run: echo deploy}]
workflows:
  main:
    jobs:
      - build
      - test: {requires: [build]}
  gated:
    jobs:
      - hold: {type: approval}
      - deploy: {requires: [hold]}
`;

export interface FlowJob {
  id: string;
  name: string;
  status: string;
  job_number?: number;
  approval_request_id?: string;
}

export interface FlowRun {
  /** The project's slug, e.g. `gh/acme/flow-1a2b3c4d`. */
  slug: string;
  pipelineId: string;
  pipelineNumber: number;
  workflows: Record<string, { id: string; status: string; jobs: Record<string, FlowJob> }>;
}

const uniq = () => crypto.randomBytes(4).toString('hex');

const projects = new WeakMap<CaseContext, Promise<{ slug: string; repo: ReturnType<typeof makeRepo> }>>();

/** The flow project of this context (one per database kind), created on first use. */
export function flowProject(ctx: CaseContext): Promise<{ slug: string; repo: ReturnType<typeof makeRepo> }> {
  let p = projects.get(ctx);
  if (!p) {
    p = (async () => {
      const slug = `gh/acme/flow-${uniq()}`;
      const { repo } = await repoProject(ctx.server, slug, FLOW_CONFIG);
      return { slug, repo };
    })();
    projects.set(ctx, p);
  }
  return p;
}

export function agentFor(ctx: CaseContext): ScriptedAgent {
  return new ScriptedAgent({ url: ctx.server.url, token: ctx.runnerToken, executors: ['machine'] });
}

/**
 * Claims and finishes `conformance/runner` jobs until none is left: jobs of `pipelineId` end
 * as `outcomes` says (default success; `hang` leaves them running), jobs other cases left
 * queued end in success.
 */
export async function drive(ctx: CaseContext, pipelineId: string, outcomes: Record<string, Outcome> = {}): Promise<void> {
  const agent = agentFor(ctx);
  for (;;) {
    // Finishing a job queues the jobs after it before the agent hears back, so a short wait suffices.
    const t = await agent.claim(50);
    if (!t) return;
    await agent.finish(t, t.pipeline.id === pipelineId ? (outcomes[t.job.name] ?? 'success') : 'success');
  }
}

/** The current state of a pipeline's workflows and jobs, by name. */
export async function flowState(ctx: CaseContext, slug: string, pipelineId: string, pipelineNumber: number): Promise<FlowRun> {
  const { server, token } = ctx;
  const wfs = (await server.call('GET', `/api/v2/pipeline/${pipelineId}/workflow`, token)).body.items as any[];
  const workflows: FlowRun['workflows'] = {};
  for (const wf of wfs) {
    const items = (await server.call('GET', `/api/v2/workflow/${wf.id}/job`, token)).body.items as FlowJob[];
    // A rerun adds a workflow of the same name; the newest wins.
    workflows[wf.name] = { id: wf.id, status: wf.status, jobs: Object.fromEntries(items.map((j) => [j.name, j])) };
  }
  return { slug, pipelineId, pipelineNumber, workflows };
}

/** Triggers a pipeline of the flow project and drives its jobs to the given outcomes. */
export async function runFlow(
  ctx: CaseContext,
  opts: { outcomes?: Record<string, Outcome>; drive?: boolean; body?: Record<string, unknown> } = {},
): Promise<FlowRun> {
  const { slug } = await flowProject(ctx);
  const trig = await ctx.server.call('POST', `/api/v2/project/${slug}/pipeline`, ctx.token, opts.body ?? {});
  if (trig.status !== 201) throw new Error(`trigger failed: ${trig.status} ${trig.text}`);
  if (opts.drive !== false) await drive(ctx, trig.body.id, opts.outcomes);
  return flowState(ctx, slug, trig.body.id, trig.body.number);
}

const memo = new WeakMap<CaseContext, Map<string, Promise<FlowRun>>>();
function once(ctx: CaseContext, key: string, make: () => Promise<FlowRun>): Promise<FlowRun> {
  let m = memo.get(ctx);
  if (!m) memo.set(ctx, (m = new Map()));
  let p = m.get(key);
  if (!p) m.set(key, (p = make()));
  return p;
}

/**
 * A finished, successful `main` workflow (build, test) beside a `gated` workflow waiting on
 * its approval. Shared by read-only cases: do not change it.
 */
export function settledFlow(ctx: CaseContext): Promise<FlowRun> {
  return once(ctx, 'settled', () => runFlow(ctx));
}

/** `main` failed (test failed). Shared by read-only cases: do not change it. */
export function failedFlow(ctx: CaseContext): Promise<FlowRun> {
  return once(ctx, 'failed', () => runFlow(ctx, { outcomes: { test: 'failed' } }));
}

/** A fresh pipeline whose `build` job is running on an agent that never finishes it. */
export function runningFlow(ctx: CaseContext): Promise<FlowRun> {
  return runFlow(ctx, { outcomes: { build: 'hang' } });
}
