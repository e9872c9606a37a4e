// Step output: the chunks a running task's agent sends (engine/runner/claims.ts stores them
// in seq order, output-order.ts) and the byte count and truncation mark on the step.
import { sql } from 'kysely';
import { isPostgres, SERVER_PREPARED, type Db } from './executor.ts';

/** What became of a chunk: stored, already stored (a retried request), not stored (no such step, or it is full), or refused (the task is not running on that agent). */
export type ChunkStored = 'stored' | 'duplicate' | 'skipped' | 'lease-lost';

export interface OutputChunk {
  taskId: string;
  agentId: string;
  index: number;
  seq: number;
  stream: 'out' | 'err';
  /** Text, or bytes known to be valid UTF-8 without NUL (stored as text without a decode). */
  data: string | Buffer;
  /** UTF-8 bytes of `data` (counted on the step). */
  bytes: number;
  at: string;
}

/**
 * Stores chunk `seq` of a step's output, unless the task no longer runs on `agentId` or the
 * step is missing or full. When the step's bytes pass `cap`, `note` is stored instead and the
 * step is marked truncated (its bytes are counted all the same).
 *
 * On PostgreSQL in one statement: the lease check, the step's size, the row and the step's
 * count are one round trip and one commit (four and two before; a step printing fast stores a
 * chunk of a few MiB per request, one after the other, and these were most of the time
 * between two). SQLite, in process, runs the same as separate statements.
 */
export async function storeStepOutput(db: Db, chunk: OutputChunk, cap: { bytes: number; note: string }): Promise<ChunkStored> {
  if (!isPostgres(db)) return storeStepOutputInSteps(db, chunk, cap);
  // Bytes are UTF-8 text already (the caller checked): pg sends a Buffer parameter in binary
  // format, which for a text parameter is its UTF-8 bytes (read and checked once by
  // PostgreSQL; no decode to a JS string and encode back).
  const { rows } = await sql<{ owned: boolean; open: boolean; stored: boolean }>`${sql.raw(SERVER_PREPARED)}
    with t as (
      select 1 from tasks where id = ${chunk.taskId} and agent_id = ${chunk.agentId} and status = 'running'
    ), s as (
      select steps.output_bytes + ${chunk.bytes}::integer > ${cap.bytes}::integer as over
      from steps
      where steps.task_id = ${chunk.taskId} and steps.step_index = ${chunk.index} and steps.truncated = 0 and exists (select 1 from t)
    ), ins as (
      insert into step_output (task_id, step_index, seq, stream, data, at)
      select ${chunk.taskId}, ${chunk.index}, ${chunk.seq}, ${chunk.stream}, case when s.over then ${cap.note}::text else ${chunk.data}::text end, ${chunk.at}
      from s
      on conflict (task_id, step_index, seq) do nothing
      returning 1
    ), upd as (
      update steps set output_bytes = output_bytes + ${chunk.bytes}::integer, truncated = case when (select over from s) then 1 else 0 end
      where task_id = ${chunk.taskId} and step_index = ${chunk.index} and exists (select 1 from ins)
      returning 1
    )
    select exists (select 1 from t) as owned, exists (select 1 from s) as open, exists (select 1 from upd) as stored`.execute(db);
  const r = rows[0]!;
  return !r.owned ? 'lease-lost' : !r.open ? 'skipped' : r.stored ? 'stored' : 'duplicate';
}

async function storeStepOutputInSteps(db: Db, chunk: OutputChunk, cap: { bytes: number; note: string }): Promise<ChunkStored> {
  const task = await db.selectFrom('tasks').select(['agent_id', 'status']).where('id', '=', chunk.taskId).executeTakeFirst();
  if (!task || task.agent_id !== chunk.agentId || task.status !== 'running') return 'lease-lost';
  const step = await stepOutputSize(db, chunk.taskId, chunk.index);
  if (!step || step.truncated) return 'skipped';
  const over = step.bytes + chunk.bytes > cap.bytes;
  const stored = await appendStepOutput(db, { ...chunk, data: over ? cap.note : chunk.data }, { bytes: chunk.bytes, truncated: over });
  return stored ? 'stored' : 'duplicate';
}

/** SQLite: how much output a step holds so far; undefined when the step was never started. */
async function stepOutputSize(db: Db, taskId: string, index: number): Promise<{ bytes: number; truncated: boolean } | undefined> {
  const step = await db.selectFrom('steps').select(['output_bytes', 'truncated']).where('task_id', '=', taskId).where('step_index', '=', index).executeTakeFirst();
  return step && { bytes: Number(step.output_bytes), truncated: Number(step.truncated) === 1 };
}

/**
 * Whether chunk `seq` of a step's output need not be waited for any more: stored, or never
 * going to be (the step is full or was never started, or the task is no longer running).
 */
export async function stepOutputSettled(db: Db, taskId: string, index: number, seq: number): Promise<boolean> {
  const row = await db
    .selectFrom('tasks')
    .leftJoin('steps', (join) => join.onRef('steps.task_id', '=', 'tasks.id').on('steps.step_index', '=', index))
    .select((eb) => [
      'tasks.status',
      'steps.truncated',
      eb.exists(eb.selectFrom('step_output').select('seq').where('task_id', '=', taskId).where('step_index', '=', index).where('seq', '=', seq)).as('stored'),
    ])
    .where('tasks.id', '=', taskId)
    .executeTakeFirst();
  return !row || row.status !== 'running' || row.truncated === null || Number(row.truncated) === 1 || Boolean(Number(row.stored));
}

/**
 * SQLite: stores one chunk of step output and counts its bytes on the step; a chunk whose
 * `seq` is already stored (a retried request) is ignored (false). `truncated` marks the step full.
 */
async function appendStepOutput(
  db: Db,
  chunk: { taskId: string; index: number; seq: number; stream: 'out' | 'err'; data: string | Buffer; at: string },
  counted: { bytes: number; truncated: boolean },
): Promise<boolean> {
  // Bytes are UTF-8 text already (the caller checked): stored as text without a decode to a
  // JS string and an encode back.
  const data = typeof chunk.data === 'string' ? chunk.data : sql<string>`cast(${chunk.data} as text)`;
  const inserted = await db
    .insertInto('step_output')
    .values({ task_id: chunk.taskId, step_index: chunk.index, seq: chunk.seq, stream: chunk.stream, data, at: chunk.at })
    .onConflict((oc) => oc.columns(['task_id', 'step_index', 'seq']).doNothing())
    .executeTakeFirst();
  if (Number(inserted.numInsertedOrUpdatedRows ?? 1n) === 0) return false;
  await db
    .updateTable('steps')
    .set((eb) => ({ output_bytes: eb('output_bytes', '+', counted.bytes), truncated: counted.truncated ? 1 : 0 }))
    .where('task_id', '=', chunk.taskId)
    .where('step_index', '=', chunk.index)
    .execute();
  return true;
}
