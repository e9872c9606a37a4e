// The usage export worker: claims export jobs (created, or processing with a lapsed lease:
// its server died) and builds each into gzipped CSV files in the blob store, one row per
// finished job run (usage-csv.ts). Polls, and wakes at once when a job is created.
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { claimUsageExport, finishUsageExport, usageRows, workflowFirstJobs, type UsageExport } from '../../storage/usage-exports.ts';
import type { EngineDeps } from '../deps.ts';
import { csvLine, USAGE_COLUMNS, usageFields } from './usage-csv.ts';

/** The event that wakes the worker. */
export const USAGE_EXPORT_EVENT = 'usage-export';
/** Most rows one CSV file holds; more go to further files. */
export const ROWS_PER_FILE = 50_000;
const PAGE = 2_000;
const LEASE_MS = 5 * 60_000;

export function usageFileKey(exportId: string, index: number): string {
  return `usage-exports/${exportId}/${index}.csv.gz`;
}

/** Builds one export's files; returns how many files and rows. */
export async function buildUsageExport(deps: EngineDeps, exp: UsageExport): Promise<{ file_count: number; row_count: number }> {
  const db = deps.database.db;
  const orgs = JSON.parse(exp.organization_ids) as string[];
  const header = csvLine(USAGE_COLUMNS);
  let files = 0;
  let rows = 0;
  let chunk: string[] = [header];
  let inFile = 0;
  const flush = async () => {
    await deps.blobs.put(usageFileKey(exp.id, files), Readable.from([gzipSync(chunk.join(''))]));
    files++;
    chunk = [header];
    inFile = 0;
  };
  let after: [string, string] | undefined;
  for (;;) {
    const page = await usageRows(db, orgs, exp.start_at, exp.end_at, PAGE, after);
    if (page.length === 0) break;
    const firsts = await workflowFirstJobs(db, [...new Set(page.map((r) => r.workflow_id))]);
    for (const r of page) {
      chunk.push(csvLine(usageFields(r, { firstJob: firsts.get(r.workflow_id) })));
      rows++;
      if (++inFile >= ROWS_PER_FILE) await flush();
    }
    const last = page[page.length - 1]!;
    after = [last.job_started_at, last.job_id];
    if (page.length < PAGE) break;
  }
  if (inFile > 0 || files === 0) await flush();
  return { file_count: files, row_count: rows };
}

export class UsageExportWorker {
  private timer?: NodeJS.Timeout;
  private running = false;
  private stopped = true;
  private readonly wake = () => void this.drain();

  constructor(
    private readonly deps: EngineDeps,
    private readonly intervalMs = 2_000,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.deps.events.on(USAGE_EXPORT_EVENT, this.wake);
    const tick = async () => {
      await this.drain();
      if (this.stopped) return;
      this.timer = setTimeout(tick, this.intervalMs);
      this.timer.unref();
    };
    this.timer = setTimeout(tick, 0);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    this.deps.events.off(USAGE_EXPORT_EVENT, this.wake);
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Builds every export waiting, one at a time. */
  async drain(): Promise<void> {
    if (this.running || this.stopped) return;
    this.running = true;
    try {
      for (;;) {
        if (this.stopped) return;
        const now = this.deps.now();
        const lease = new Date(now.getTime() + LEASE_MS).toISOString();
        const exp = await claimUsageExport(this.deps.database.db, now.toISOString(), lease);
        if (!exp) return;
        let result: Parameters<typeof finishUsageExport>[3];
        try {
          result = { state: 'completed', ...(await buildUsageExport(this.deps, exp)) };
        } catch (err) {
          result = { state: 'failed', error_reason: `Building the export failed: ${(err as Error).message}` };
        }
        await finishUsageExport(this.deps.database.db, exp.id, lease, result, this.deps.now().toISOString());
      }
    } catch {
      /* the database may be briefly unavailable; the next tick tries again */
    } finally {
      this.running = false;
    }
  }
}
