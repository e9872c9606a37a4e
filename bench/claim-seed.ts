// Queued tasks written straight into the tables, for the claim benchmarks (engine.ts, claims.ts).
import { sql } from 'kysely';
import pg from 'pg';
import { newId, nowIso } from '../src/domain/clock.ts';
import type { Database } from '../src/storage/db.ts';
import { postgresCpuMeter } from './lib.ts';

/** A pipeline row of `projectId` for seeded workflows to belong to; returns its id. */
export async function seedPipeline(database: Database, projectId: string): Promise<string> {
  const now = nowIso();
  const id = newId();
  await database.db
    .insertInto('pipelines')
    .values({
      id, project_id: projectId, number: 1, state: 'created', trigger_type: 'api', trigger_actor_id: null, trigger_received_at: now,
      branch: 'main', tag: null, revision: '0'.repeat(40), vcs: '{}', parameters: '{}', trigger_parameters: '{}', pipeline_values: '{}', errors: '[]',
      source_config: '', compiled_config: '', setup_config: '', compiled_setup_config: '', continuation_key_hash: null, continuation_state: null, created_at: now, updated_at: now,
    })
    .execute();
  return id;
}

/** Queues `count` tasks spread over workflows of 4 jobs × 2 runs, straight into the tables. */
export async function seedTasks(database: Database, count: number): Promise<void> {
  const project = (await database.db.selectFrom('projects').select('id').executeTakeFirstOrThrow()).id;
  const pipeline = (await database.db.selectFrom('pipelines').select('id').executeTakeFirstOrThrow()).id;
  const now = nowIso();
  const perWorkflow = 8;
  for (let done = 0; done < count; ) {
    const workflows = [];
    const jobs = [];
    const tasks = [];
    for (let w = 0; w < 50 && done < count; w++) {
      const wid = newId();
      workflows.push({ id: wid, pipeline_id: pipeline, project_id: project, name: 'seed', status: 'running' as const, tag: null, started_by: newId(), canceled_by: null, errored_by: null, rerun_of: null, created_at: now, stopped_at: null });
      for (let j = 0; j < perWorkflow / 2 && done < count; j++) {
        const jid = newId();
        jobs.push({ id: jid, workflow_id: wid, pipeline_id: pipeline, project_id: project, name: `s${j}`, type: 'build', status: 'queued' as const, number: null, requires: '[]', config: '{}', contexts: '[]', executor: 'machine', resource_class: 'medium', parallelism: 2, approval_request_id: null, approved_by: null, canceled_by: null, messages: '[]', created_at: now, queued_at: now, started_at: null, stopped_at: null });
        for (let k = 0; k < 2 && done < count; k++, done++) {
          tasks.push({ id: newId(), job_id: jid, node_index: k, status: 'queued' as const, resource_class: 'medium', executor: 'machine', agent_id: null, lease_expires_at: null, cancel_requested: 0, queued_at: now, started_at: null, stopped_at: null, message: null });
        }
      }
    }
    await database.db.insertInto('workflows').values(workflows).execute();
    await database.db.insertInto('jobs').values(jobs).execute();
    await database.db.insertInto('tasks').values(tasks).execute();
  }
  // A running server's tables have planner statistics, and on PostgreSQL the rows earlier
  // claims left dead have been vacuumed (autovacuum): so each phase of a bench starts alike,
  // not the later ones wading through the earlier ones' dead index entries.
  await sql.raw(database.dialect === 'postgres' ? 'vacuum analyze' : 'analyze').execute(database.db);
}

/**
 * The raw-SQL claim floor: `clients` PostgreSQL connections each run the claim statement alone
 * until the queue is empty. Answers the claimed task ids (to check for duplicates), the time, and
 * the CPU time of PostgreSQL's backends (ms; when the server runs on this machine).
 */
export async function rawClaimAll(url: string, clients: number): Promise<{ ids: string[]; seconds: number; pgCpuMs?: number }> {
  const pool = new pg.Pool({ connectionString: url, max: clients });
  const ids: string[] = [];
  const meter = await postgresCpuMeter(url);
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, i) => {
      const c = await pool.connect();
      try {
        for (;;) {
          const r = await c.query(
            `update tasks set status = 'running', agent_id = $1, lease_expires_at = $2, started_at = $2
             where id = (select id from tasks where status = 'queued' and executor = any($3) and resource_class not like '%/%'
                         order by queued_at, id limit 1 for update skip locked) and status = 'queued' returning id`,
            [`raw-${i}`, nowIso(), ['machine']],
          );
          if (r.rows.length === 0) return;
          ids.push(r.rows[0].id as string);
        }
      } finally {
        c.release();
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const pgCpuMs = await meter.stop();
  await pool.end();
  return pgCpuMs === undefined ? { ids, seconds } : { ids, seconds, pgCpuMs };
}
