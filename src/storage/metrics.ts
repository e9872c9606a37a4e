// What /metrics reads from the database at each scrape: the task queue by resource class,
// webhook deliveries by state, stored blob bytes, and when a pipeline's first task was claimed.
import type { Db } from './executor.ts';

/** Queued and running tasks per resource class. */
export async function taskCounts(db: Db): Promise<{ resource_class: string; status: string; n: number }[]> {
  const rows = await db
    .selectFrom('tasks')
    .select(['resource_class', 'status', (eb) => eb.fn.countAll<number>().as('n')])
    .where('status', 'in', ['queued', 'running'])
    .groupBy(['resource_class', 'status'])
    .execute();
  return rows.map((r) => ({ resource_class: r.resource_class, status: r.status, n: Number(r.n) }));
}

/** Tasks of one resource class in one status (`queued` = unclaimed, `running` = claimed). */
export async function taskCountOfClass(db: Db, resourceClass: string, status: 'queued' | 'running'): Promise<number> {
  const row = await db
    .selectFrom('tasks')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('resource_class', '=', resourceClass)
    .where('status', '=', status)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** Webhook deliveries waiting to be (re)tried and those that gave up (kept until pruned). */
export async function deliveryCounts(db: Db): Promise<{ pending: number; failed: number }> {
  const rows = await db
    .selectFrom('webhook_deliveries')
    .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
    .where('status', 'in', ['pending', 'delivering', 'failed'])
    .groupBy('status')
    .execute();
  let pending = 0;
  let failed = 0;
  for (const r of rows) {
    if (r.status === 'failed') failed += Number(r.n);
    else pending += Number(r.n);
  }
  return { pending, failed };
}

/** Bytes of stored blobs by kind (artifacts, caches, workspace layers). */
export async function blobBytes(db: Db): Promise<{ artifacts: number; caches: number; workspaces: number }> {
  const sum = async (table: 'artifacts' | 'caches' | 'workspace_layers') => {
    const row = await db
      .selectFrom(table)
      .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('size'), eb.val(0)).as('bytes'))
      .executeTakeFirst();
    return Number(row?.bytes ?? 0);
  };
  return { artifacts: await sum('artifacts'), caches: await sum('caches'), workspaces: await sum('workspace_layers') };
}
