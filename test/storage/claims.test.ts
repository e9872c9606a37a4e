// Claims on both databases: many claimers at once get each queued task exactly once, and
// exactly one claim per pipeline says it was that pipeline's first (the first-claim metric);
// also when claims go in batches (claim-batch.ts, the engine's claim batcher).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId, nowIso } from '../../src/domain/clock.ts';
import type { Database } from '../../src/storage/db.ts';
import { ensureOrganization } from '../../src/storage/organizations.ts';
import { createProject } from '../../src/storage/projects.ts';
import { ClaimBatcher } from '../../src/engine/runner/claim-batcher.ts';
import type { EngineDeps } from '../../src/engine/deps.ts';
import { claimQueuedTasks } from '../../src/storage/claim-batch.ts';
import { claimQueuedTask, type ClaimedTask } from '../../src/storage/tasks.ts';
import { databaseKinds } from '../helpers/databases.ts';

/** A pipeline with `jobs` jobs of 2 tasks each, queued; answers the pipeline's id and created_at. */
async function queuedPipeline(database: Database, projectId: string, number: number, jobs: number, createdAt: string): Promise<{ id: string; createdAt: string }> {
  const id = newId();
  const wid = newId();
  await database.db
    .insertInto('pipelines')
    .values({
      id, project_id: projectId, number, state: 'created', trigger_type: 'api', trigger_actor_id: null, trigger_received_at: createdAt, branch: 'main', tag: null, revision: '0'.repeat(40),
      vcs: '{}', parameters: '{}', trigger_parameters: '{}', pipeline_values: '{}', errors: '[]', source_config: '', compiled_config: '', setup_config: '', compiled_setup_config: '',
      continuation_key_hash: null, continuation_state: null, created_at: createdAt, updated_at: createdAt,
    })
    .execute();
  await database.db
    .insertInto('workflows')
    .values({ id: wid, pipeline_id: id, project_id: projectId, name: 'w', status: 'running', tag: null, started_by: newId(), canceled_by: null, errored_by: null, rerun_of: null, created_at: createdAt, stopped_at: null })
    .execute();
  for (let j = 0; j < jobs; j++) {
    const jid = newId();
    await database.db
      .insertInto('jobs')
      .values({
        id: jid, workflow_id: wid, pipeline_id: id, project_id: projectId, name: `j${j}`, type: 'build', status: 'queued', number: null, requires: '[]', config: '{}', contexts: '[]', executor: 'machine',
        resource_class: 'medium', parallelism: 2, approval_request_id: null, approved_by: null, canceled_by: null, messages: '[]', created_at: createdAt, queued_at: createdAt, started_at: null, stopped_at: null,
      })
      .execute();
    await database.db
      .insertInto('tasks')
      .values([0, 1].map((k) => ({ id: newId(), job_id: jid, node_index: k, status: 'queued' as const, resource_class: 'medium', executor: 'machine', agent_id: null, lease_expires_at: null, cancel_requested: 0, queued_at: nowIso(), started_at: null, stopped_at: null, message: null })))
      .execute();
  }
  return { id, createdAt };
}

for (const kind of databaseKinds()) {
  describe(`claims (${kind.name})`, () => {
    let d: Database;
    let dispose: () => Promise<void>;
    beforeAll(async () => {
      ({ database: d, dispose } = await kind.create());
    });
    afterAll(async () => {
      await dispose?.();
    });

    it('gives each task to one of 16 concurrent claimers, and marks one first claim per pipeline', async () => {
      const org = await ensureOrganization(d.db, 'github', 'claims');
      const project = await createProject(d.db, org, { name: 'app', vcsUrl: 'https://example.invalid/app.git', defaultBranch: 'main' });
      const a = await queuedPipeline(d, project.id, 1, 30, '2026-01-01T00:00:00.000Z');
      const b = await queuedPipeline(d, project.id, 2, 30, '2026-01-02T00:00:00.000Z');
      const claims: ClaimedTask[] = [];
      await Promise.all(
        Array.from({ length: 16 }, async (_, i) => {
          for (;;) {
            const c = await claimQueuedTask(d.db, { agentId: `a${i}`, executors: ['machine'], resourceClasses: null }, nowIso(), nowIso(new Date(Date.now() + 60_000)), { runnerTokenId: 't', credentialHash: 'h' });
            if (!c) return;
            claims.push(c);
          }
        }),
      );
      expect(claims).toHaveLength(120);
      expect(new Set(claims.map((c) => c.task.id)).size).toBe(120);
      expect(claims.every((c) => c.task.status === 'running' && c.job.id === c.task.job_id)).toBe(true);
      const firsts = claims.filter((c) => c.firstOfPipeline !== undefined);
      expect(firsts.map((c) => [c.job.pipeline_id, c.firstOfPipeline]).sort()).toEqual([[a.id, a.createdAt], [b.id, b.createdAt]].sort());
      const rows = await d.db.selectFrom('pipelines').select(['id', 'first_claim_at']).where('id', 'in', [a.id, b.id]).execute();
      for (const r of rows) expect(r.first_claim_at).toBe(firsts.find((c) => c.job.pipeline_id === r.id)!.task.started_at);
      const jobs = await d.db.selectFrom('jobs').select('status').where('pipeline_id', 'in', [a.id, b.id]).execute();
      expect(jobs.every((j) => j.status === 'running')).toBe(true);
    });

    it('claims in batches: each claimer of a batch gets its own task, held by its agent and credential; batches at once never share a task', async () => {
      const org = await ensureOrganization(d.db, 'github', 'batches');
      const project = await createProject(d.db, org, { name: 'app', vcsUrl: 'https://example.invalid/b.git', defaultBranch: 'main' });
      const a = await queuedPipeline(d, project.id, 1, 25, '2026-02-01T00:00:00.000Z');
      const b = await queuedPipeline(d, project.id, 2, 25, '2026-02-02T00:00:00.000Z');
      const got: { agentId: string; hash: string; claimed: ClaimedTask }[] = [];
      let empty = 0;
      // 4 batchers at once, batches of 1 to 7 claimers (a batch of 1 takes the single-claim statement).
      await Promise.all(
        Array.from({ length: 4 }, async (_, i) => {
          for (let round = 0; ; round++) {
            const claimers = Array.from({ length: 1 + ((i + round) % 7) }, (_, k) => ({ agentId: `b${i}-${round}-${k}`, owner: { runnerTokenId: `t${i}`, credentialHash: `h${i}-${round}-${k}` } }));
            const results = await claimQueuedTasks(d.db, { executors: ['machine'], resourceClasses: null }, claimers, nowIso(), nowIso(new Date(Date.now() + 60_000)));
            expect(results).toHaveLength(claimers.length);
            // The claimers that got nothing are the last ones of their batch.
            const firstEmpty = results.findIndex((r) => r === undefined);
            if (firstEmpty !== -1) expect(results.slice(firstEmpty).every((r) => r === undefined)).toBe(true);
            results.forEach((r, k) => r && got.push({ agentId: claimers[k]!.agentId, hash: claimers[k]!.owner.credentialHash, claimed: r }));
            if (results.every((r) => r === undefined)) return void empty++;
          }
        }),
      );
      expect(empty).toBe(4);
      expect(got).toHaveLength(100);
      expect(new Set(got.map((g) => g.claimed.task.id)).size).toBe(100);
      for (const g of got) {
        expect(g.claimed.task).toMatchObject({ status: 'running', agent_id: g.agentId, credential_hash: g.hash });
        expect(g.claimed.job.id).toBe(g.claimed.task.job_id);
      }
      const rows = await d.db.selectFrom('tasks').innerJoin('jobs', 'jobs.id', 'tasks.job_id').select(['tasks.id', 'tasks.agent_id', 'tasks.credential_hash', 'tasks.status']).where('jobs.pipeline_id', 'in', [a.id, b.id]).execute();
      expect(rows.every((r) => r.status === 'running')).toBe(true);
      expect(Object.fromEntries(rows.map((r) => [r.id, [r.agent_id, r.credential_hash]]))).toEqual(Object.fromEntries(got.map((g) => [g.claimed.task.id, [g.agentId, g.hash]])));
      const firsts = got.filter((g) => g.claimed.firstOfPipeline !== undefined);
      expect(firsts.map((g) => [g.claimed.job.pipeline_id, g.claimed.firstOfPipeline]).sort()).toEqual([[a.id, a.createdAt], [b.id, b.createdAt]].sort());
      const jobs = await d.db.selectFrom('jobs').select('status').where('pipeline_id', 'in', [a.id, b.id]).execute();
      expect(jobs.every((j) => j.status === 'running')).toBe(true);
    });

    it('the claim batcher answers 16 claimers asking at once, each with its own task, until the queue is empty', async () => {
      const org = await ensureOrganization(d.db, 'github', 'batcher');
      const project = await createProject(d.db, org, { name: 'app', vcsUrl: 'https://example.invalid/c.git', defaultBranch: 'main' });
      await queuedPipeline(d, project.id, 1, 40, '2026-03-01T00:00:00.000Z');
      const batcher = new ClaimBatcher({ database: d, now: () => new Date(), leaseMs: 60_000 } as EngineDeps);
      const got: { agentId: string; claimed: ClaimedTask }[] = [];
      await Promise.all(
        Array.from({ length: 16 }, async (_, i) => {
          for (let n = 0; ; n++) {
            const agentId = `q${i}-${n}`;
            const claimed = await batcher.claim({ executors: ['machine'], resourceClasses: null }, { agentId, owner: { runnerTokenId: 't', credentialHash: agentId } });
            if (!claimed) return;
            got.push({ agentId, claimed });
          }
        }),
      );
      expect(got).toHaveLength(80);
      expect(new Set(got.map((g) => g.claimed.task.id)).size).toBe(80);
      expect(got.every((g) => g.claimed.task.agent_id === g.agentId && g.claimed.task.credential_hash === g.agentId)).toBe(true);
    });
  });
}
