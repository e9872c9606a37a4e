// The metrics circlet exports (docs/operations.md), in one prom-client registry per
// instance. Counters and histograms are observed as things happen (the engine's observer,
// the HTTP hook); gauges of stored state are read from the database at each scrape.
import client from 'prom-client';
import type { Engine } from '../../engine/engine.ts';
import type { EngineObserver, FinishedJob, FinishedWorkflow } from '../../engine/observer.ts';
import type { Database } from '../../storage/db.ts';
import type { Task } from '../../storage/jobs.ts';
import { HttpLatencyHistogram } from './services/http-latency.ts';
import { blobBytes, deliveryCounts, taskCounts } from '../../storage/metrics.ts';

/** Seconds: from a fraction of a second (a no-op job) to two hours. */
const DURATION_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200];
const LATENCY_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** A resource class label: self-hosted classes by name, the cloud classes of a runner token as `cloud`. */
const classLabel = (name: string) => (name === '' ? 'cloud' : name);

function seconds(from: string | null, to: string | null): number | undefined {
  if (!from || !to) return undefined;
  const s = (Date.parse(to) - Date.parse(from)) / 1000;
  return Number.isFinite(s) && s >= 0 ? s : undefined;
}

export class CircletMetrics implements EngineObserver {
  readonly registry = new client.Registry();
  private database?: Database;
  private engine?: Engine;
  private readonly jobDuration: client.Histogram<'status'>;
  private readonly workflowDuration: client.Histogram<'status'>;
  private readonly firstClaim: client.Histogram;
  private readonly queueWait: client.Histogram<'resource_class'>;
  readonly httpDuration: HttpLatencyHistogram;

  constructor() {
    const registers = [this.registry];
    client.collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 20 });
    // Gauges named `_total` against Prometheus' naming rules (`promtool check metrics` says so).
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) this.registry.removeSingleMetric(name);
    this.jobDuration = new client.Histogram({ name: 'circlet_job_duration_seconds', help: 'Run time of finished jobs (start to stop), by final status.', labelNames: ['status'], buckets: DURATION_BUCKETS, registers });
    this.workflowDuration = new client.Histogram({ name: 'circlet_workflow_duration_seconds', help: 'Time from creation to end of finished workflows, by final status.', labelNames: ['status'], buckets: DURATION_BUCKETS, registers });
    this.firstClaim = new client.Histogram({ name: 'circlet_pipeline_first_claim_seconds', help: "Time from a pipeline's trigger to the claim of its first task.", buckets: LATENCY_BUCKETS, registers });
    this.queueWait = new client.Histogram({ name: 'circlet_task_queue_wait_seconds', help: 'Time claimed tasks waited in the queue, by resource class.', labelNames: ['resource_class'], buckets: LATENCY_BUCKETS, registers });
    this.httpDuration = new HttpLatencyHistogram('circlet_http_request_duration_seconds', 'HTTP request latency by method, route template and status code.', HTTP_BUCKETS);
    this.registry.registerMetric(this.httpDuration as unknown as client.Metric);
    const gauge = <L extends string>(name: string, help: string, labelNames: L[], fill: (g: client.Gauge<L>) => void | Promise<void>) => {
      const g: client.Gauge<L> = new client.Gauge<L>({ name, help, labelNames, registers, collect: () => fill(g) });
    };
    gauge('circlet_tasks_queued', 'Tasks waiting for an agent, by resource class.', ['resource_class'], (g) => this.collectTasks(g, 'queued'));
    gauge('circlet_tasks_running', 'Tasks claimed by an agent and running, by resource class.', ['resource_class'], (g) => this.collectTasks(g, 'running'));
    gauge(
      'circlet_agents_connected',
      'Agents that asked this replica for work in the last minute, by the resource class of their runner token (cloud = the cloud classes).',
      ['resource_class'],
      (g) => {
        g.reset();
        for (const [rc, n] of this.engine?.runner.agents.connectedByClass() ?? []) g.set({ resource_class: classLabel(rc) }, n);
      },
    );
    gauge('circlet_webhook_deliveries', 'Outbound webhook deliveries waiting to be sent or retried (pending) and given up (failed, kept until pruned).', ['state'], async (g) => {
      if (!this.database) return;
      const d = await deliveryCounts(this.database.db);
      g.set({ state: 'pending' }, d.pending);
      g.set({ state: 'failed' }, d.failed);
    });
    gauge('circlet_blob_store_bytes', 'Bytes held in the blob store, by kind (artifacts, caches, workspace layers).', ['kind'], async (g) => {
      if (!this.database) return;
      const b = await blobBytes(this.database.db);
      g.set({ kind: 'artifacts' }, b.artifacts);
      g.set({ kind: 'caches' }, b.caches);
      g.set({ kind: 'workspaces' }, b.workspaces);
    });
    gauge('circlet_db_pool_connections', 'Database pool connections by state: in_use, idle, max (PostgreSQL only).', ['state'], (g) => {
      const p = this.database?.pool?.();
      if (!p) return;
      g.set({ state: 'in_use' }, p.total - p.idle);
      g.set({ state: 'idle' }, p.idle);
      g.set({ state: 'max' }, p.max);
    });
    gauge('circlet_db_pool_waiting_requests', 'Queries waiting for a free database pool connection (PostgreSQL only).', [], (g) => {
      const p = this.database?.pool?.();
      if (p) g.set(p.waiting);
    });
  }

  /** The instance whose stored state the gauges read (set once it is built). */
  bind(database: Database, engine: Engine): void {
    this.database = database;
    this.engine = engine;
  }

  private async collectTasks(gauge: client.Gauge<'resource_class'>, status: 'queued' | 'running'): Promise<void> {
    gauge.reset();
    if (!this.database) return;
    for (const r of await taskCounts(this.database.db)) if (r.status === status) gauge.set({ resource_class: r.resource_class }, r.n);
  }

  jobFinished(job: FinishedJob): void {
    if (job.type === 'approval') return;
    const s = seconds(job.started_at, job.stopped_at);
    if (s !== undefined) this.jobDuration.observe({ status: job.status }, s);
  }

  workflowFinished(wf: FinishedWorkflow): void {
    const s = seconds(wf.created_at, wf.stopped_at);
    if (s !== undefined) this.workflowDuration.observe({ status: wf.status }, s);
  }

  taskClaimed(task: Task, pipelineCreatedAt?: string): void {
    const wait = seconds(task.queued_at, task.started_at);
    if (wait !== undefined) this.queueWait.observe({ resource_class: task.resource_class }, wait);
    // The claim itself said whether it was its pipeline's first (storage/tasks.ts): no query here.
    const first = pipelineCreatedAt === undefined ? undefined : seconds(pipelineCreatedAt, task.started_at);
    if (first !== undefined) this.firstClaim.observe(first);
  }

  /** The exposition text and its content type. */
  async scrape(): Promise<{ body: string; contentType: string }> {
    return { body: await this.registry.metrics(), contentType: this.registry.contentType };
  }
}
