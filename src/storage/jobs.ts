// Jobs of workflows, and their parallel runs (tasks).
import type { Db } from './executor.ts';
import { preparedFirst } from './prepared.ts';
import type { JobsTable, TasksTable } from './schema.ts';
import { oldestFirst } from './order.ts';

export type Job = JobsTable;
export type Task = TasksTable;

export async function insertJobs(db: Db, rows: Job[]): Promise<void> {
  if (rows.length > 0) await db.insertInto('jobs').values(rows).execute();
}

const jobById = preparedFirst((db: Db, id: string) => db.selectFrom('jobs').selectAll().where('id', '=', id));

export async function getJob(db: Db, id: string): Promise<Job | undefined> {
  return jobById(db, id);
}

/**
 * The job run with this number. A rerun copies the jobs it does not run again with their
 * numbers; the run itself (the oldest record, which holds its tasks and outputs) is returned.
 */
export async function getJobByNumber(db: Db, projectId: string, number: number): Promise<Job | undefined> {
  return db
    .selectFrom('jobs')
    .selectAll()
    .where('project_id', '=', projectId)
    .where('number', '=', number)
    .$call(oldestFirst)
    .limit(1)
    .executeTakeFirst();
}

/** The newest workflow holding a job with this number (a rerun's copy counts). */
export async function latestWorkflowIdOfJobNumber(db: Db, projectId: string, number: number): Promise<string | undefined> {
  const row = await db
    .selectFrom('jobs')
    .select('workflow_id')
    .where('project_id', '=', projectId)
    .where('number', '=', number)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row?.workflow_id;
}

export async function jobsOfWorkflow(db: Db, workflowId: string): Promise<Job[]> {
  return db.selectFrom('jobs').selectAll().where('workflow_id', '=', workflowId).$call(oldestFirst).execute();
}

export async function updateJob(db: Db, id: string, changes: Partial<Job>): Promise<void> {
  await db.updateTable('jobs').set(changes).where('id', '=', id).execute();
}

export async function insertTasks(db: Db, rows: Task[]): Promise<void> {
  if (rows.length > 0) await db.insertInto('tasks').values(rows).execute();
}

const taskById = preparedFirst((db: Db, id: string) => db.selectFrom('tasks').selectAll().where('id', '=', id));

export async function getTask(db: Db, id: string): Promise<Task | undefined> {
  return taskById(db, id);
}

export async function tasksOfJob(db: Db, jobId: string): Promise<Task[]> {
  return db.selectFrom('tasks').selectAll().where('job_id', '=', jobId).orderBy('node_index').execute();
}

export async function tasksOfJobs(db: Db, jobIds: string[]): Promise<Task[]> {
  if (jobIds.length === 0) return [];
  return db.selectFrom('tasks').selectAll().where('job_id', 'in', jobIds).orderBy('node_index').execute();
}

/** The job of a workflow with this name (the first, for a matrix of one name). */
export async function jobOfWorkflowNamed(db: Db, workflowId: string, name: string): Promise<Job | undefined> {
  return db.selectFrom('jobs').selectAll().where('workflow_id', '=', workflowId).where('name', '=', name).executeTakeFirst();
}

/** The parallel run `nodeIndex` of a job. */
export async function taskOfJobNode(db: Db, jobId: string, nodeIndex: number): Promise<Task | undefined> {
  return db.selectFrom('tasks').selectAll().where('job_id', '=', jobId).where('node_index', '=', nodeIndex).executeTakeFirst();
}
