// The engine: the one object the HTTP layer and the server use. Its methods are the
// pipeline operations (trigger, continue, cancel, approve, rerun); `runner` is the part the
// runner protocol calls; start() and stop() run the background services.
import type { OrbSource } from '../config/index.ts';
import type { BlobStore } from '../storage/blob-store.ts';
import type { ProjectWithOrg } from '../storage/projects.ts';
import type { Pipeline } from '../storage/pipelines.ts';
import { createEvents, type EngineDeps } from './deps.ts';
import type { Watch } from './events.ts';
import { continuePipeline } from './pipeline/continuation.ts';
import { approveJob, cancelJob, cancelWorkflow } from './pipeline/control.ts';
import type { EngineObserver } from './observer.ts';
import { triggerForgeEvent, type ForgeTrigger } from './pipeline/forge-events.ts';
import { rerunWorkflow, type RerunOptions } from './pipeline/rerun.ts';
import { resolveRevision, triggerPipeline, type TriggerRequest } from './pipeline/trigger.ts';
import { reapExpiredLeases } from './runner/claims.ts';
import { clearProjectCaches } from './runner/outputs.ts';
import { OidcIssuer } from './oidc/issuer.ts';
import { RunnerSide } from './runner/runner-side.ts';
import type { GitRefRequest, ResolvedRevision } from './services/git-mirror.ts';
import { sweepExpiredOutputs, type SweepResult } from './services/retention.ts';
import { DEFAULT_AUDIT_RETENTION_DAYS, recordAudit, sweepAuditLog, type AuditActor, type AuditEvent } from './services/audit.ts';
import { runDueSchedules } from './services/scheduler.ts';
import { USAGE_EXPORT_EVENT, UsageExportWorker } from './services/usage-export.ts';
import { UrlOrbFetcher } from './services/url-orbs.ts';
import { compileIsolated } from './services/compile-worker.ts';
import { compileConfig } from '../config/index.ts';
import { DEFAULT_DELIVERY_OPTIONS, WebhookWorker, type DeliveryOptions } from './services/webhooks.ts';

/** What the engine is built from: its dependencies (as EngineDeps describes them) and its timings. */
export interface EngineOptions extends Pick<EngineDeps, 'database' | 'secrets' | 'mirrors' | 'blobs' | 'orbSource' | 'baseUrl'> {
  leaseMs?: number;
  reapIntervalMs?: number;
  now?: () => Date;
  /** How often the scheduler looks for due schedules (default 5 s). */
  scheduleIntervalMs?: number;
  /** Outbound webhook delivery: timeout, retries, polling (defaults: DEFAULT_DELIVERY_OPTIONS). */
  webhookDelivery?: Partial<DeliveryOptions>;
  /** Told of finished jobs and workflows and of claims (the metrics). */
  observer?: EngineObserver;
  /** How often expired artifacts, caches and workspaces are swept, by one replica (default 10 min). */
  sweepIntervalMs?: number;
  /** Audit events older than this many days are swept (default 365). */
  auditRetentionDays?: number;
  /** How often the audit sweeper runs (default hourly). */
  auditSweepIntervalMs?: number;
  /**
   * Compile on this thread instead of in the compile workers (services/compile-worker.ts): for
   * a process that serves no API and whose only config is its user's own (`circlet run`), where
   * starting workers costs more than the compile. No time or heap limit then.
   */
  compileInline?: boolean;
}

export class Engine {
  /** What the engine's modules are given; for the engine's own tests. */
  readonly deps: EngineDeps;
  /** The runner protocol's side: claims, leases, step reports, job outputs. */
  readonly runner: RunnerSide;
  /** OIDC ID tokens for jobs and the keys that verify them. */
  readonly oidc: OidcIssuer;
  /** The stops of the running background loops (reaper, scheduler, sweepers); empty when stopped. */
  private loops: (() => void)[] = [];
  private readonly reapIntervalMs: number;
  private readonly webhooks: WebhookWorker;
  private readonly scheduleIntervalMs: number;
  private readonly usageExports: UsageExportWorker;
  private readonly sweepIntervalMs: number;
  readonly auditRetentionDays: number;
  private readonly auditSweepIntervalMs: number;

  constructor(opts: EngineOptions) {
    this.deps = {
      database: opts.database,
      secrets: opts.secrets,
      mirrors: opts.mirrors,
      blobs: opts.blobs,
      orbSource: opts.orbSource,
      urlOrbs: new UrlOrbFetcher(),
      baseUrl: opts.baseUrl,
      leaseMs: opts.leaseMs ?? 30_000,
      now: opts.now ?? (() => new Date()),
      events: createEvents(),
      observer: opts.observer,
      compile: opts.compileInline ? compileConfig : compileIsolated,
    };
    this.oidc = new OidcIssuer(this.deps);
    this.runner = new RunnerSide(this.deps, this.oidc);
    this.webhooks = new WebhookWorker(this.deps, { ...DEFAULT_DELIVERY_OPTIONS, ...opts.webhookDelivery });
    this.reapIntervalMs = opts.reapIntervalMs ?? Math.max(250, Math.min(5_000, Math.floor(this.deps.leaseMs / 3)));
    this.scheduleIntervalMs = opts.scheduleIntervalMs ?? 5_000;
    this.sweepIntervalMs = opts.sweepIntervalMs ?? 600_000;
    this.usageExports = new UsageExportWorker(this.deps);
    this.auditRetentionDays = opts.auditRetentionDays ?? DEFAULT_AUDIT_RETENTION_DAYS;
    this.auditSweepIntervalMs = opts.auditSweepIntervalMs ?? 3_600_000;
  }

  /** Records a security-relevant action in the audit log (engine/services/audit.ts). */
  audit(actor: AuditActor, event: AuditEvent): Promise<void> {
    return recordAudit(this.deps.database.db, actor, event, this.deps.now());
  }

  /** Deletes audit events past the retention period; the number deleted. */
  sweepAudit(): Promise<number> {
    return sweepAuditLog(this.deps.database.db, this.auditRetentionDays, this.deps.now());
  }

  /** Wakes the usage export worker: an export job was created. */
  usageExportCreated(): void {
    this.deps.events.emit(USAGE_EXPORT_EVENT);
  }

  get baseUrl(): string {
    return this.deps.baseUrl;
  }

  get blobs(): BlobStore {
    return this.deps.blobs;
  }

  get orbSource(): OrbSource | undefined {
    return this.deps.orbSource;
  }

  /** Where the git mirrors live (served read-only to jobs over git smart HTTP). */
  get mirrorRoot(): string {
    return this.deps.mirrors.root;
  }

  now(): Date {
    return this.deps.now();
  }

  trigger(req: TriggerRequest): Promise<{ pipeline: Pipeline; queuedTasks: number }> {
    return triggerPipeline(this.deps, req);
  }

  /** One pipeline per pushed ref of a forge event. */
  triggerForgeEvent(project: ProjectWithOrg, triggers: ForgeTrigger[]): Promise<Pipeline[]> {
    return triggerForgeEvent(this.deps, project, triggers);
  }

  /** The commit a ref names and the config file in it. */
  resolveRevision(project: ProjectWithOrg, ref: GitRefRequest, configPath?: string): Promise<ResolvedRevision> {
    return resolveRevision(this.deps, project, ref, configPath);
  }

  continue(key: string, configuration: string, parameters: Record<string, unknown>): Promise<void> {
    return continuePipeline(this.deps, key, configuration, parameters);
  }

  cancelWorkflow(workflowId: string, userId: string | null): Promise<void> {
    return cancelWorkflow(this.deps, workflowId, userId);
  }

  cancelJob(jobId: string, userId: string | null): Promise<void> {
    return cancelJob(this.deps, jobId, userId);
  }

  approve(workflowId: string, approvalRequestId: string, userId: string): Promise<void> {
    return approveJob(this.deps, workflowId, approvalRequestId, userId);
  }

  /** Reruns a workflow; returns the new workflow's id. */
  rerun(workflowId: string, opts: RerunOptions, userId: string): Promise<string> {
    return rerunWorkflow(this.deps, workflowId, opts, userId);
  }

  /** Changes to a job's steps and output, from any replica (live log streams wait on it). */
  watchJob(jobId: string): Watch {
    return this.deps.events.watch('job', (id) => id === undefined || id === jobId);
  }

  /** Changes to any job's steps, output or status (`circlet run` follows its pipeline with it). */
  watchJobs(): Watch {
    return this.deps.events.watch('job', () => true);
  }

  /** Shares events with the other replicas when the database can (PostgreSQL LISTEN/NOTIFY). */
  async connectEvents(): Promise<void> {
    await this.deps.events.share(this.deps.database);
  }

  /** Deletes a project's caches; returns how many. */
  clearCaches(projectId: string): Promise<number> {
    return clearProjectCaches(this.deps, projectId);
  }

  /** Starts background duties: reaping tasks whose lease lapsed, triggering due schedules, delivering outbound webhooks, building usage exports. */
  start(): void {
    if (this.loops.length > 0) return;
    this.loops.push(repeat(() => runDueSchedules(this.deps), this.scheduleIntervalMs));
    // The first sweep soon after start (a replica that was down catches up), then per interval.
    this.loops.push(repeat(() => this.sweepExpired(), this.sweepIntervalMs, Math.min(this.sweepIntervalMs, 30_000)));
    this.loops.push(repeat(() => this.sweepAudit(), this.auditSweepIntervalMs, 0));
    this.webhooks.start();
    this.usageExports.start();
    this.loops.push(repeat(() => reapExpiredLeases(this.deps), this.reapIntervalMs));
  }

  /** Stops the background work; resolves once the git mirrors' processes have exited. */
  stop(): Promise<void> {
    void this.deps.events.unshare();
    void this.webhooks.stop();
    this.usageExports.stop();
    for (const stop of this.loops.splice(0)) stop();
    return this.deps.mirrors.close();
  }

  /** Sweeps expired job outputs now, if no replica swept this interval; for tests and the sweeper. */
  sweepExpired(): Promise<SweepResult> {
    return sweepExpiredOutputs(this.deps, this.sweepIntervalMs);
  }
}

/**
 * Runs `task` after `firstMs`, then `intervalMs` after each run has ended, until the returned
 * stop is called (a run in progress then is the last). A run that fails is retried at the next
 * one: the database or the blob store may be briefly unavailable. The timers never keep the
 * process alive.
 */
function repeat(task: () => Promise<unknown>, intervalMs: number, firstMs = intervalMs): () => void {
  let stopped = false;
  let timer: NodeJS.Timeout;
  const tick = async () => {
    try {
      await task();
    } catch {
      /* try again next tick */
    }
    if (stopped) return;
    timer = setTimeout(tick, intervalMs);
    timer.unref();
  };
  timer = setTimeout(tick, firstMs);
  timer.unref();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
