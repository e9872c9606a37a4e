// The engine facade: one object the HTTP layer and the server use.
import path from 'node:path';
import type { OrbSource } from '../config/index.ts';
import type { SecretBox } from '../domain/secret-box.ts';
import { FileBlobStore, type BlobStore } from '../storage/blob-store.ts';
import type { Database } from '../storage/db.ts';
import { claimTask, clearDockerWaitNote, noteJobsWaitingForDocker, reapExpiredLeases, type AgentCapabilities } from './runner/claims.ts';
import { createEvents, type EngineDeps } from './deps.ts';
import { GitMirrors } from './services/git-mirror.ts';
import { runDueSchedules } from './services/scheduler.ts';
import type { Task } from '../storage/jobs.ts';
import { DEFAULT_DELIVERY_OPTIONS, WebhookWorker, type DeliveryOptions } from './services/webhooks.ts';

export interface EngineOptions {
  database: Database;
  secrets: SecretBox;
  dataDir: string;
  orbSource?: OrbSource;
  /** Default: files under `<dataDir>/blobs`. */
  blobs?: BlobStore;
  baseUrl?: string;
  leaseMs?: number;
  reapIntervalMs?: number;
  now?: () => Date;
  /** How often the scheduler looks for due schedules (default 5 s). */
  scheduleIntervalMs?: number;
  /** Outbound webhook delivery: timeout, retries, polling (defaults: DEFAULT_DELIVERY_OPTIONS). */
  webhookDelivery?: Partial<DeliveryOptions>;
}

export class Engine {
  readonly deps: EngineDeps;
  private reaper?: NodeJS.Timeout;
  /** When each agent without docker last had waiting docker jobs noted (throttle). */
  private readonly dockerNotes = new Map<string, number>();
  private readonly reapIntervalMs: number;
  private readonly webhooks: WebhookWorker;
  private scheduler?: NodeJS.Timeout;
  private readonly scheduleIntervalMs: number;

  constructor(opts: EngineOptions) {
    this.deps = {
      database: opts.database,
      secrets: opts.secrets,
      mirrors: new GitMirrors(path.join(opts.dataDir, 'mirrors')),
      blobs: opts.blobs ?? new FileBlobStore(path.join(opts.dataDir, 'blobs')),
      orbSource: opts.orbSource,
      baseUrl: opts.baseUrl ?? 'http://127.0.0.1',
      leaseMs: opts.leaseMs ?? 30_000,
      now: opts.now ?? (() => new Date()),
      events: createEvents(),
    };
    this.webhooks = new WebhookWorker(this.deps, { ...DEFAULT_DELIVERY_OPTIONS, ...opts.webhookDelivery });
    this.reapIntervalMs = opts.reapIntervalMs ?? Math.max(250, Math.min(5_000, Math.floor(this.deps.leaseMs / 3)));
    this.scheduleIntervalMs = opts.scheduleIntervalMs ?? 5_000;
  }

  /** Starts background duties: reaping tasks whose lease lapsed, triggering due schedules, delivering outbound webhooks. */
  start(): void {
    if (this.reaper) return;
    this.startScheduler();
    this.webhooks.start();
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

  stop(): void {
    void this.webhooks.stop();
    if (this.reaper) clearTimeout(this.reaper);
    this.reaper = undefined;
    if (this.scheduler) clearTimeout(this.scheduler);
    this.scheduler = undefined;
    this.deps.mirrors.close();
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

  setBaseUrl(url: string): void {
    this.deps.baseUrl = url;
  }

  /**
   * Long-polls for a task: claims at once when one is queued, else waits for new tasks
   * (signalled in-process, and re-checked every `pollMs` for other replicas) up to `waitMs`.
   */
  async claim(agent: AgentCapabilities, waitMs: number, signal?: AbortSignal, pollMs = 500): Promise<Task | undefined> {
    const deadline = Date.now() + waitMs;
    const last = this.dockerNotes.get(agent.agentId) ?? 0;
    if (!agent.executors.includes('docker') && Date.now() - last > 5_000) {
      if (this.dockerNotes.size > 1_000) this.dockerNotes.clear();
      this.dockerNotes.set(agent.agentId, Date.now());
      await noteJobsWaitingForDocker(this.deps, agent).catch(() => 0);
    }
    for (;;) {
      const task = await claimTask(this.deps, agent);
      if (task) {
        if (task.executor === 'docker') await clearDockerWaitNote(this.deps, task.job_id);
        return task;
      }
      const left = deadline - Date.now();
      if (left <= 0 || signal?.aborted) return undefined;
      await this.waitFor('tasks', Math.min(left, pollMs), signal);
    }
  }

  /** Resolves on the event, after `ms`, or on abort, whichever is first. */
  waitFor(event: 'tasks' | 'cancel', ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.deps.events.off(event, done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.deps.events.on(event, done);
      signal?.addEventListener('abort', done);
    });
  }
}
