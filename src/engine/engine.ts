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
  private reaper?: NodeJS.Timeout;
  private readonly reapIntervalMs: number;
  private readonly webhooks: WebhookWorker;
  private scheduler?: NodeJS.Timeout;
  private readonly scheduleIntervalMs: number;
  private readonly usageExports: UsageExportWorker;
  private sweeper?: NodeJS.Timeout;
  private readonly sweepIntervalMs: number;
  private auditSweeper?: NodeJS.Timeout;
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
    if (this.reaper) return;
    this.startScheduler();
    this.startSweeper();
    this.startAuditSweeper();
    this.webhooks.start();
    this.usageExports.start();
    const tick = async () => {
      try {
        await reapExpiredLeases(this.deps);
      } catch {
        /* the database may be briefly unavailable; try again next tick */
      }
      this.reaper = setTimeout(tick, this.reapIntervalMs);
      this.reaper.unref();
    };
    this.reaper = setTimeout(tick, this.reapIntervalMs);
    this.reaper.unref();
  }

  /** Stops the background work; resolves once the git mirrors' processes have exited. */
  stop(): Promise<void> {
    void this.deps.events.unshare();
    void this.webhooks.stop();
    this.usageExports.stop();
    if (this.reaper) clearTimeout(this.reaper);
    this.reaper = undefined;
    if (this.scheduler) clearTimeout(this.scheduler);
    this.scheduler = undefined;
    if (this.sweeper) clearTimeout(this.sweeper);
    this.sweeper = undefined;
    if (this.auditSweeper) clearTimeout(this.auditSweeper);
    this.auditSweeper = undefined;
    return this.deps.mirrors.close();
  }

  private startScheduler(): void {
    const tick = async () => {
      try {
        await runDueSchedules(this.deps);
      } catch {
        /* the database may be briefly unavailable; try again next tick */
      }
      if (!this.scheduler) return;
      this.scheduler = setTimeout(tick, this.scheduleIntervalMs);
      this.scheduler.unref();
    };
    this.scheduler = setTimeout(tick, this.scheduleIntervalMs);
    this.scheduler.unref();
  }

  /** Sweeps expired job outputs now, if no replica swept this interval; for tests and the sweeper. */
  sweepExpired(): Promise<SweepResult> {
    return sweepExpiredOutputs(this.deps, this.sweepIntervalMs);
  }

  private startSweeper(): void {
    const tick = async () => {
      try {
        await this.sweepExpired();
      } catch {
        /* the database or the blob store may be briefly unavailable; try again next tick */
      }
      if (!this.sweeper) return;
      this.sweeper = setTimeout(tick, this.sweepIntervalMs);
      this.sweeper.unref();
    };
    // The first sweep soon after start (a replica that was down catches up), then per interval.
    this.sweeper = setTimeout(tick, Math.min(this.sweepIntervalMs, 30_000));
    this.sweeper.unref();
  }

  private startAuditSweeper(): void {
    const tick = async () => {
      try {
        await this.sweepAudit();
      } catch {
        /* the database may be briefly unavailable; try again next tick */
      }
      if (!this.auditSweeper) return;
      this.auditSweeper = setTimeout(tick, this.auditSweepIntervalMs);
      this.auditSweeper.unref();
    };
    this.auditSweeper = setTimeout(tick, 0);
    this.auditSweeper.unref();
  }
}
