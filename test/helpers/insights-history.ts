// Shared by the insights storage tests (insights-test-jobs-dropped, insights-test-runs,
// insights-test-metrics): the databases they run on, opened unmigrated and closed and dropped
// after each test, and a project's history of finished `build` workflow runs.
import crypto from 'node:crypto';
import path from 'node:path';
import { afterEach } from 'vitest';
import { openDatabase, type Database } from '../../src/storage/db.ts';
import type { Db } from '../../src/storage/executor.ts';
import { ensureOrganization } from '../../src/storage/organizations.ts';
import { createProject } from '../../src/storage/projects.ts';
import { createPostgresDatabase, tempDir } from './databases.ts';

export const kinds: { name: string; open(): Promise<{ database: Database; drop(): Promise<void> }> }[] = [
  { name: 'sqlite', open: async () => ({ database: openDatabase(path.join(tempDir(), 'circlet.db')), drop: async () => {} }) },
  ...(process.env.CIRCLET_TEST_DATABASE_URL
    ? [
        {
          name: 'postgres',
          open: async () => {
            const created = await createPostgresDatabase();
            return { database: openDatabase(created.url), drop: created.drop };
          },
        },
      ]
    : []),
];

/** Opens a database of `kind` for the current test (call inside a describe): closed and dropped after it. */
export function opener(kind: (typeof kinds)[number]): () => Promise<Database> {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await cleanup?.();
    cleanup = undefined;
  });
  return async () => {
    const { database, drop } = await kind.open();
    cleanup = async () => {
      await database.close();
      await drop();
    };
    return database;
  };
}

export const NOW = Date.parse('2026-03-10T12:00:00.000Z');
export const at = (minutesAgo: number) => new Date(NOW - minutesAgo * 60_000).toISOString();

/** A project with finished `build` workflow runs of the given jobs; returns the ids by run and job name. */
export async function seed(db: Db, runs: string[][]): Promise<{ projectId: string; workflows: string[]; jobs: Record<string, string>[] }> {
  const org = await ensureOrganization(db, 'github', 'acme');
  const project = await createProject(db, org, { name: 'app', vcsUrl: '/r' });
  const workflows: string[] = [];
  const jobs: Record<string, string>[] = [];
  for (const [n, names] of runs.entries()) {
    const created = at(100 - n * 10);
    const stopped = at(99 - n * 10);
    const pipelineId = crypto.randomUUID();
    const workflowId = crypto.randomUUID();
    await db
      .insertInto('pipelines')
      .values({
        ...{ id: pipelineId, project_id: project.id, number: n + 1, state: 'created', trigger_type: 'api', trigger_actor_id: null, trigger_received_at: created },
        ...{ branch: 'main', tag: null, revision: `rev-${n}`, vcs: '{}', parameters: '{}', trigger_parameters: '{}', pipeline_values: '{}', errors: '[]' },
        ...{ source_config: '', compiled_config: '', setup_config: '', compiled_setup_config: '', continuation_key_hash: null, continuation_state: null, created_at: created, updated_at: created },
      })
      .execute();
    await db
      .insertInto('workflows')
      .values({ id: workflowId, pipeline_id: pipelineId, project_id: project.id, name: 'build', status: 'success', tag: null, started_by: 'u', canceled_by: null, errored_by: null, rerun_of: null, created_at: created, stopped_at: stopped })
      .execute();
    const ids: Record<string, string> = {};
    for (const [k, name] of names.entries()) {
      ids[name] = crypto.randomUUID();
      await db
        .insertInto('jobs')
        .values({
          ...{ id: ids[name], workflow_id: workflowId, pipeline_id: pipelineId, project_id: project.id, name, type: 'build', status: 'success', number: n * 10 + k + 1 },
          ...{ requires: '[]', config: '{}', contexts: '[]', executor: 'docker', resource_class: 'medium', parallelism: 1 },
          ...{ approval_request_id: null, approved_by: null, canceled_by: null, messages: '[]', created_at: created, queued_at: created, started_at: created, stopped_at: stopped },
        })
        .execute();
    }
    workflows.push(workflowId);
    jobs.push(ids);
  }
  return { projectId: project.id, workflows, jobs };
}

export const result = (projectId: string, jobId: string, name: string, outcome: string) => ({
  ...{ id: crypto.randomUUID(), project_id: projectId, job_id: jobId, node_index: 0, name, classname: 'Suite', file: 'suite.test.ts' },
  ...{ result: outcome, message: '', run_time: 1.5, source: 'junit.xml', created_at: at(95) },
});
