// A running job authenticates with its task's id and task credential (the one every runner
// call presents): checkouts from the server's own git mirror, and the in-job `circleci`
// helper's calls (OIDC tokens, release markers). It works only while that task runs.
import crypto from 'node:crypto';
import { hashToken } from '../../domain/tokens.ts';
import type { Db } from '../../storage/executor.ts';
import { getJob, getTask, type Task } from '../../storage/jobs.ts';

/** The running task `taskId` when `credential` is its task credential. */
export async function runningTaskWithCredential(db: Db, taskId: string, credential: string): Promise<Task | undefined> {
  const task = await getTask(db, taskId);
  if (!task || task.status !== 'running' || !task.credential_hash) return undefined;
  const given = Buffer.from(hashToken(credential), 'hex');
  const stored = Buffer.from(task.credential_hash, 'hex');
  if (given.length !== stored.length || !crypto.timingSafeEqual(given, stored)) return undefined;
  return task;
}

/** True when `credential` is the task credential of running task `taskId`, whose job belongs to `projectId`. */
export async function checkoutAllowed(db: Db, taskId: string, credential: string, projectId: string): Promise<boolean> {
  const task = await runningTaskWithCredential(db, taskId, credential);
  if (!task) return false;
  const job = await getJob(db, task.job_id);
  return job?.project_id === projectId;
}
