// Step output on both databases (storage/step-output.ts): a chunk is stored once, counted on
// its step, refused for a task that is not running on the agent, skipped on a missing or full
// step, and cut at the cap with a note; large chunks of bytes come back as they went in.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId, nowIso } from '../../src/domain/clock.ts';
import type { Database } from '../../src/storage/db.ts';
import { ensureOrganization } from '../../src/storage/organizations.ts';
import { createProject } from '../../src/storage/projects.ts';
import { storeStepOutput, type OutputChunk } from '../../src/storage/step-output.ts';
import { databaseKinds } from '../helpers/databases.ts';

const CAP = { bytes: 1000, note: '\n[truncated]\n' };

/** A running task of agent `a1` with step 0 started; answers the task's id. */
async function runningTask(d: Database, projectId: string, number: number): Promise<string> {
  const at = nowIso();
  const pid = newId();
  const wid = newId();
  const jid = newId();
  const tid = newId();
  await d.db
    .insertInto('pipelines')
    .values({
      id: pid, project_id: projectId, number, state: 'created', trigger_type: 'api', trigger_actor_id: null, trigger_received_at: at, branch: 'main', tag: null, revision: '0'.repeat(40),
      vcs: '{}', parameters: '{}', trigger_parameters: '{}', pipeline_values: '{}', errors: '[]', source_config: '', compiled_config: '', setup_config: '', compiled_setup_config: '',
      continuation_key_hash: null, continuation_state: null, created_at: at, updated_at: at,
    })
    .execute();
  await d.db
    .insertInto('workflows')
    .values({ id: wid, pipeline_id: pid, project_id: projectId, name: 'w', status: 'running', tag: null, started_by: newId(), canceled_by: null, errored_by: null, rerun_of: null, created_at: at, stopped_at: null })
    .execute();
  await d.db
    .insertInto('jobs')
    .values({
      id: jid, workflow_id: wid, pipeline_id: pid, project_id: projectId, name: 'j', type: 'build', status: 'running', number: null, requires: '[]', config: '{}', contexts: '[]', executor: 'machine',
      resource_class: 'medium', parallelism: 1, approval_request_id: null, approved_by: null, canceled_by: null, messages: '[]', created_at: at, queued_at: at, started_at: at, stopped_at: null,
    })
    .execute();
  await d.db
    .insertInto('tasks')
    .values({ id: tid, job_id: jid, node_index: 0, status: 'running', resource_class: 'medium', executor: 'machine', agent_id: 'a1', lease_expires_at: null, cancel_requested: 0, queued_at: at, started_at: at, stopped_at: null, message: null })
    .execute();
  await d.db
    .insertInto('steps')
    .values({ task_id: tid, step_index: 0, name: 's', type: 'run', status: 'running', exit_code: null, started_at: at, stopped_at: null, output_bytes: 0, truncated: 0 })
    .execute();
  return tid;
}

const chunk = (taskId: string, seq: number, data: string | Buffer, more: Partial<OutputChunk> = {}): OutputChunk => ({
  taskId, agentId: 'a1', index: 0, seq, stream: 'out', data, bytes: typeof data === 'string' ? Buffer.byteLength(data) : data.length, at: nowIso(), ...more,
});

for (const kind of databaseKinds()) {
  describe(`step output (${kind.name})`, () => {
    let d: Database;
    let dispose: () => Promise<void>;
    let projectId: string;
    let n = 0;
    beforeAll(async () => {
      ({ database: d, dispose } = await kind.create());
      const org = await ensureOrganization(d.db, 'github', 'out');
      projectId = (await createProject(d.db, org, { name: 'app', vcsUrl: 'https://example.invalid/app.git', defaultBranch: 'main' })).id;
    });
    afterAll(async () => {
      await dispose?.();
    });

    const stored = async (taskId: string) => d.db.selectFrom('step_output').select(['seq', 'stream', 'data']).where('task_id', '=', taskId).orderBy('seq').execute();
    const step = async (taskId: string) => d.db.selectFrom('steps').select(['output_bytes', 'truncated']).where('task_id', '=', taskId).executeTakeFirstOrThrow();

    it('stores a chunk once (a retry is a duplicate) and counts its bytes on the step', async () => {
      const t = await runningTask(d, projectId, ++n);
      expect(await storeStepOutput(d.db, chunk(t, 0, 'héllo\n'), CAP)).toBe('stored');
      expect(await storeStepOutput(d.db, chunk(t, 0, 'héllo\n'), CAP)).toBe('duplicate');
      expect(await storeStepOutput(d.db, chunk(t, 1, Buffer.from('wörld\n'), { stream: 'err' }), CAP)).toBe('stored');
      expect(await stored(t)).toEqual([{ seq: 0, stream: 'out', data: 'héllo\n' }, { seq: 1, stream: 'err', data: 'wörld\n' }]);
      expect(await step(t)).toEqual({ output_bytes: 14, truncated: 0 });
    });

    it('refuses a chunk of another agent or of a task no longer running, and skips a step never started', async () => {
      const t = await runningTask(d, projectId, ++n);
      expect(await storeStepOutput(d.db, chunk(t, 0, 'x', { agentId: 'a2' }), CAP)).toBe('lease-lost');
      expect(await storeStepOutput(d.db, chunk(t, 0, 'x', { index: 7 }), CAP)).toBe('skipped');
      await d.db.updateTable('tasks').set({ status: 'success' }).where('id', '=', t).execute();
      expect(await storeStepOutput(d.db, chunk(t, 0, 'x'), CAP)).toBe('lease-lost');
      expect(await stored(t)).toEqual([]);
    });

    it('stores the note instead of the chunk that passes the cap, counts it, and skips what follows', async () => {
      const t = await runningTask(d, projectId, ++n);
      expect(await storeStepOutput(d.db, chunk(t, 0, 'a'.repeat(600)), CAP)).toBe('stored');
      expect(await storeStepOutput(d.db, chunk(t, 1, Buffer.from('b'.repeat(600))), CAP)).toBe('stored');
      expect(await storeStepOutput(d.db, chunk(t, 2, 'c'), CAP)).toBe('skipped');
      expect((await stored(t)).map((r) => r.data)).toEqual(['a'.repeat(600), CAP.note]);
      expect(await step(t)).toEqual({ output_bytes: 1200, truncated: 1 });
    });

    it('stores large chunks of bytes as they were sent, one after another', async () => {
      const t = await runningTask(d, projectId, ++n);
      const cap = { bytes: 64 * 1024 * 1024, note: CAP.note };
      const line = Buffer.from('résumé ✓ 𝄞 line of output\n');
      const big = Buffer.alloc(line.length * 40_000);
      for (let i = 0; i < big.length; i += line.length) line.copy(big, i);
      const other = Buffer.from(big.toString('utf8').replaceAll('line', 'LINE'));
      expect(await storeStepOutput(d.db, chunk(t, 0, big), cap)).toBe('stored');
      expect(await storeStepOutput(d.db, chunk(t, 1, other), cap)).toBe('stored');
      expect(await storeStepOutput(d.db, chunk(t, 1, other), cap)).toBe('duplicate');
      const rows = await stored(t);
      expect(rows.map((r) => Buffer.from(r.data).equals(r.seq === 0 ? big : other))).toEqual([true, true]);
      expect(await step(t)).toEqual({ output_bytes: big.length + other.length, truncated: 0 });
    });
  });
}
