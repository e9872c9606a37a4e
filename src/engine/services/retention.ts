// The retention sweeper: removes artifacts, caches and workspace layers older than their
// project's retention (CircleCI's defaults: 30, 15, 15 days), blobs first and rows after, so
// a sweep cut short leaves rows whose blobs a later sweep deletes again (deleting an absent
// blob is no error) and never a blob no row names. Each interval is claimed in the database
// (storage/retention.ts claimSweep): however many replicas run the timer, one sweeps.
import { nowIso } from '../../domain/clock.ts';
import { claimSweep, deleteOutputRows, expiredOutputs, recordSweep, RETENTION_KINDS, DEFAULT_RETENTION, type Retention } from '../../storage/retention.ts';
import type { EngineDeps } from '../deps.ts';

export const SWEEP_NAME = 'retention';
const BATCH = 200;
/** Uploads older than this with no blob row were cut off (a crash mid-upload). */
const ORPHAN_AGE_MS = 24 * 3_600_000;

export interface SweepResult {
  /** False when another replica holds this interval. */
  ran: boolean;
  removed: number;
}

/** One sweep, if this replica wins the interval's claim. */
export async function sweepExpiredOutputs(deps: EngineDeps, intervalMs: number, defaults: Retention = DEFAULT_RETENTION): Promise<SweepResult> {
  const db = deps.database.db;
  const now = deps.now();
  if (!(await claimSweep(db, SWEEP_NAME, nowIso(now), nowIso(new Date(now.getTime() + intervalMs))))) return { ran: false, removed: 0 };
  let removed = 0;
  for (const kind of RETENTION_KINDS) {
    for (;;) {
      const rows = await expiredOutputs(db, kind, now, BATCH, defaults);
      if (rows.length === 0) break;
      for (const r of rows) await deps.blobs.delete(r.blob_key);
      await deleteOutputRows(db, rows);
      removed += rows.length;
      if (rows.length < BATCH) break;
    }
  }
  await deps.blobs.sweepOrphans?.(nowIso(new Date(now.getTime() - ORPHAN_AGE_MS)));
  await recordSweep(db, SWEEP_NAME, removed);
  return { ran: true, removed };
}
