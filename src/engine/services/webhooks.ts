// Outbound webhooks: the `workflow-completed` and `job-completed` events, queued in the
// transaction that finished the workflow or job, and the worker that delivers them.
import crypto from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { nowIso } from '../../domain/clock.ts';
import { slugOfProject } from '../../domain/slug.ts';
import { claimDelivery, enqueueDelivery, pruneDeliveries, recordAttempt, type Delivery } from '../../storage/deliveries.ts';
import type { Db } from '../../storage/executor.ts';
import { getJob, type Job } from '../../storage/jobs.ts';
import { getPipeline, type Pipeline } from '../../storage/pipelines.ts';
import { getProject, type ProjectWithOrg } from '../../storage/projects.ts';
import { getWebhook, listWebhooks, type Webhook, type WebhookEvent } from '../../storage/webhooks.ts';
import { getWorkflow, type Workflow } from '../../storage/workflows.ts';
import type { EngineDeps } from '../deps.ts';
import type { EngineObserver } from '../observer.ts';
import { isTerminalJob } from '../pipeline/status.ts';

/** The event the delivery worker listens to, emitted after deliveries are queued. */
export const WEBHOOKS_EVENT = 'webhooks';

/** `v1=<hex HMAC-SHA256 of body keyed with secret>`, CircleCI's `circleci-signature`. */
export function webhookSignature(secret: string, body: string): string {
  return 'v1=' + crypto.createHmac('sha256', secret).update(body, 'utf8').digest('hex');
}

/** A UUID derived from a string, so an event keeps one id however often it is queued. */
export function stableEventId(key: string): string {
  const h = crypto.createHash('sha256').update(key).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

interface EventContext {
  project: ProjectWithOrg;
  pipeline: Pipeline;
  workflow: Workflow;
  baseUrl: string;
}

function pipelineSection(p: Pipeline) {
  const vcs = JSON.parse(p.vcs) as Record<string, unknown>;
  const commit = vcs.commit as Record<string, unknown> | undefined;
  const trigger = JSON.parse(p.trigger_parameters) as Record<string, unknown>;
  return {
    id: p.id,
    number: p.number,
    created_at: p.created_at,
    trigger: { type: p.trigger_type },
    ...(Object.keys(trigger).length > 0 ? { trigger_parameters: trigger } : {}),
    vcs: {
      provider_name: vcs.provider_name,
      origin_repository_url: vcs.origin_repository_url,
      target_repository_url: vcs.target_repository_url,
      revision: p.revision ?? undefined,
      ...(commit ? { commit } : {}),
      ...(p.branch ? { branch: p.branch } : {}),
      ...(p.tag ? { tag: p.tag } : {}),
    },
  };
}

function common(ctx: EventContext, webhook: Webhook) {
  return {
    webhook: { id: webhook.id, name: webhook.name },
    project: { id: ctx.project.id, name: ctx.project.name, slug: slugOfProject(ctx.project) },
    organization: { id: ctx.project.organization_id, name: ctx.project.org_name },
  };
}

function workflowSection(ctx: EventContext, withStatus: boolean) {
  const w = ctx.workflow;
  const slug = slugOfProject(ctx.project);
  return {
    id: w.id,
    name: w.name,
    created_at: w.created_at,
    stopped_at: w.stopped_at,
    url: `${ctx.baseUrl}/pipelines/${slug}/${ctx.pipeline.number}/workflows/${w.id}`,
    ...(withStatus ? { status: w.status } : {}),
  };
}

/** The body of a `workflow-completed` event (outbound-webhooks reference). */
export function workflowCompletedPayload(ctx: EventContext, webhook: Webhook, eventId: string): string {
  return JSON.stringify({
    id: eventId,
    type: 'workflow-completed',
    happened_at: ctx.workflow.stopped_at ?? nowIso(),
    ...common(ctx, webhook),
    workflow: workflowSection(ctx, true),
    pipeline: pipelineSection(ctx.pipeline),
  });
}

/** The body of a `job-completed` event. */
export function jobCompletedPayload(ctx: EventContext, webhook: Webhook, eventId: string, job: Job): string {
  return JSON.stringify({
    id: eventId,
    type: 'job-completed',
    happened_at: job.stopped_at ?? nowIso(),
    ...common(ctx, webhook),
    pipeline: pipelineSection(ctx.pipeline),
    workflow: workflowSection(ctx, false),
    job: { id: job.id, name: job.name, started_at: job.started_at, stopped_at: job.stopped_at, status: job.status, number: job.number },
  });
}

/**
 * Queues the events of what just finished in a workflow: `job-completed` for each of
 * `jobIds` that is terminal (approval jobs excepted), `workflow-completed` when
 * `workflowFinished`. Runs in the caller's transaction, so the events are stored exactly
 * when the change they report commits; an event queued twice is stored once. Returns how
 * many deliveries it queued (emit WEBHOOKS_EVENT after commit when > 0).
 */
export async function recordCompletions(deps: EngineDeps, trx: Db, workflowId: string, workflowFinished: boolean, jobIds: readonly string[]): Promise<number> {
  if (!workflowFinished && jobIds.length === 0) return 0;
  const workflow = await getWorkflow(trx, workflowId);
  if (!workflow) return 0;
  if (deps.observer) await observeCompletions(deps.observer, trx, workflow, workflowFinished, jobIds);
  const webhooks = await listWebhooks(trx, deps.secrets, workflow.project_id);
  if (webhooks.length === 0) return 0;
  const project = await getProject(trx, workflow.project_id);
  const pipeline = await getPipeline(trx, workflow.pipeline_id);
  if (!project || !pipeline) return 0;
  const ctx: EventContext = { project, pipeline, workflow, baseUrl: deps.baseUrl };
  const now = nowIso(deps.now());
  let queued = 0;
  const queue = async (w: Webhook, type: WebhookEvent, eventId: string, payload: string) => {
    await enqueueDelivery(trx, { webhookId: w.id, eventId, eventType: type, payload }, now);
    queued++;
  };
  const jobs: Job[] = [];
  for (const id of new Set(jobIds)) {
    const job = await getJob(trx, id);
    if (job && job.type !== 'approval' && isTerminalJob(job.status)) jobs.push(job);
  }
  for (const w of webhooks) {
    if (w.events.includes('job-completed')) {
      for (const job of jobs) {
        const eventId = stableEventId(`job-completed:${job.id}`);
        await queue(w, 'job-completed', eventId, jobCompletedPayload(ctx, w, eventId, job));
      }
    }
    if (workflowFinished && w.events.includes('workflow-completed')) {
      const eventId = stableEventId(`workflow-completed:${workflow.id}`);
      await queue(w, 'workflow-completed', eventId, workflowCompletedPayload(ctx, w, eventId));
    }
  }
  return queued;
}

/** Tells the observer (metrics) of the jobs and the workflow this change finished. */
async function observeCompletions(observer: EngineObserver, trx: Db, workflow: Workflow, workflowFinished: boolean, jobIds: readonly string[]): Promise<void> {
  for (const id of new Set(jobIds)) {
    const job = await getJob(trx, id);
    if (job && isTerminalJob(job.status)) observer.jobFinished(job);
  }
  if (workflowFinished) observer.workflowFinished(workflow);
}

// ---- delivery ----

export interface DeliveryOptions {
  /** Per-attempt timeout (CircleCI: 10 s). */
  timeoutMs: number;
  /** Attempts before a delivery is given up as `failed`. */
  maxAttempts: number;
  /** Delay before the first retry; doubled for each later one. */
  retryBaseMs: number;
  /** Longest delay between attempts. */
  retryMaxMs: number;
  /** How often due deliveries are looked for besides the in-process signal. */
  pollMs: number;
  /** Deliveries sent at once by one worker. */
  concurrency: number;
  /** How long finished deliveries stay in the log. */
  retentionMs: number;
}

export const DEFAULT_DELIVERY_OPTIONS: DeliveryOptions = {
  timeoutMs: 10_000,
  maxAttempts: 8,
  retryBaseMs: 10_000,
  retryMaxMs: 60 * 60_000,
  pollMs: 1_000,
  concurrency: 4,
  retentionMs: 30 * 24 * 60 * 60_000,
};

const PRUNE_EVERY_MS = 10 * 60_000;

export interface PostResult {
  statusCode: number | null;
  error: string | null;
}

/** POSTs `body` to `url` with the webhook headers; resolves (never rejects) with the outcome. */
export function postWebhook(url: string, body: string, headers: Record<string, string>, opts: { timeoutMs: number; verifyTls: boolean }): Promise<PostResult> {
  return new Promise((resolve) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      resolve({ statusCode: null, error: 'invalid URL' });
      return;
    }
    const isHttps = target.protocol === 'https:';
    if (!isHttps && target.protocol !== 'http:') {
      resolve({ statusCode: null, error: `unsupported protocol ${target.protocol}` });
      return;
    }
    const options: https.RequestOptions = {
      method: 'POST',
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      timeout: opts.timeoutMs,
      ...(isHttps ? { rejectUnauthorized: opts.verifyTls } : {}),
    };
    let settled = false;
    const done = (r: PostResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      resolve(r);
    };
    const req = (isHttps ? https : http).request(target, options, (res) => {
      res.resume();
      res.on('end', () => done({ statusCode: res.statusCode ?? null, error: null }));
      res.on('error', (err) => done({ statusCode: res.statusCode ?? null, error: err.message }));
    });
    // An overall deadline: `timeout` alone only bounds idle time.
    const deadline = setTimeout(() => req.destroy(new Error(`timed out after ${opts.timeoutMs} ms`)), opts.timeoutMs);
    req.on('timeout', () => req.destroy(new Error(`timed out after ${opts.timeoutMs} ms`)));
    req.on('error', (err) => done({ statusCode: null, error: err.message }));
    req.end(body);
  });
}

/** The delay before attempt `attempts + 1` after `attempts` failed ones. */
export function retryDelayMs(attempts: number, o: Pick<DeliveryOptions, 'retryBaseMs' | 'retryMaxMs'>): number {
  return Math.min(o.retryMaxMs, o.retryBaseMs * 2 ** Math.max(0, attempts - 1));
}

/** Makes one attempt of a claimed delivery and records its outcome. */
export async function attemptDelivery(deps: EngineDeps, d: Delivery, o: DeliveryOptions): Promise<void> {
  const webhook = await getWebhook(deps.database.db, deps.secrets, d.webhook_id);
  if (!webhook) return; // deleted meanwhile: its deliveries went with it
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'CircleCI-Webhook/1.0',
    'circleci-event-type': d.event_type,
  };
  if (webhook.signing_secret !== '') headers['circleci-signature'] = webhookSignature(webhook.signing_secret, d.payload);
  const r = await postWebhook(webhook.url, d.payload, headers, { timeoutMs: o.timeoutMs, verifyTls: webhook.verify_tls });
  const ok = r.statusCode !== null && r.statusCode >= 200 && r.statusCode < 300;
  const now = deps.now();
  const error = ok ? null : (r.error ?? `HTTP ${r.statusCode}`);
  const status = ok ? 'delivered' : d.attempts >= o.maxAttempts ? 'failed' : 'pending';
  const next = status === 'pending' ? nowIso(new Date(now.getTime() + retryDelayMs(d.attempts, o))) : null;
  await recordAttempt(deps.database.db, d.id, d.attempts, { status, statusCode: r.statusCode, error, nextAttemptAt: next }, nowIso(now));
}

/**
 * Delivers due webhooks in the background. Claims are rows in the database (see
 * storage/deliveries.ts), so several replicas can run one each.
 */
export class WebhookWorker {
  private running = false;
  private timer?: NodeJS.Timeout;
  private inFlight = new Set<Promise<void>>();
  private readonly wake = () => this.kick();
  private kicked = false;
  private looping = false;
  private prunedAt = 0;

  constructor(
    private readonly deps: EngineDeps,
    private readonly opts: DeliveryOptions,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.deps.events.on(WEBHOOKS_EVENT, this.wake);
    this.kick();
  }

  /** Stops claiming; attempts in flight finish (their claims lapse if the process dies). */
  async stop(): Promise<void> {
    this.running = false;
    this.deps.events.off(WEBHOOKS_EVENT, this.wake);
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await Promise.all([...this.inFlight]);
  }

  private kick(): void {
    if (!this.running) return;
    if (this.looping) {
      this.kicked = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.looping = true;
    void this.loop().finally(() => {
      this.looping = false;
      if (!this.running) return;
      if (this.kicked) {
        this.kicked = false;
        this.kick();
        return;
      }
      this.timer = setTimeout(() => this.kick(), this.opts.pollMs);
      this.timer.unref();
    });
  }

  private async loop(): Promise<void> {
    const started = this.deps.now();
    if (started.getTime() - this.prunedAt >= PRUNE_EVERY_MS) {
      this.prunedAt = started.getTime();
      await pruneDeliveries(this.deps.database.db, nowIso(new Date(started.getTime() - this.opts.retentionMs))).catch(() => 0);
    }
    while (this.running) {
      if (this.inFlight.size >= this.opts.concurrency) {
        await Promise.race(this.inFlight);
        continue;
      }
      let d: Delivery | undefined;
      try {
        const now = this.deps.now();
        // A claim outlives the attempt's timeout: only a dead worker's claim lapses.
        d = await claimDelivery(this.deps.database.db, nowIso(now), nowIso(new Date(now.getTime() + this.opts.timeoutMs * 3 + 5_000)));
      } catch {
        return; // the database may be briefly unavailable; the next tick tries again
      }
      if (!d) return;
      const p: Promise<void> = attemptDelivery(this.deps, d, this.opts)
        .catch(() => undefined)
        .finally(() => {
          this.inFlight.delete(p);
        });
      this.inFlight.add(p);
    }
  }
}
