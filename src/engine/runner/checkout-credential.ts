// Checking out from the server's own git mirror: a job authenticates with its task's id and
// task credential (the one every runner call presents), so the checkout works only while that
// task runs and only for its own project.
import crypto from 'node:crypto';
import { hashToken } from '../../domain/tokens.ts';
import type { Db } from '../../storage/executor.ts';
import { getJob, getTask } from '../../storage/jobs.ts';

/** True when `credential` is the task credential of running task `taskId`, whose job belongs to `projectId`. */
export async function checkoutAllowed(db: Db, taskId: string, credential: string, projectId: string): Promise<boolean> {
  const task = await getTask(db, taskId);
  if (!task || task.status !== 'running' || !task.credential_hash) return false;
  const given = Buffer.from(hashToken(credential), 'hex');
  const stored = Buffer.from(task.credential_hash, 'hex');
  if (given.length !== stored.length || !crypto.timingSafeEqual(given, stored)) return false;
  const job = await getJob(db, task.job_id);
  return job?.project_id === projectId;
}
