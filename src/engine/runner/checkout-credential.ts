// The credential a job checks its code out with from the server's own git mirror: bound to one
// task (and so to its project), signed with the server's secret key, and valid only while that
// task runs. Nothing is stored: the task's row says whether it is still running.
import crypto from 'node:crypto';
import type { SecretBox } from '../../domain/secret-box.ts';
import type { Db } from '../../storage/executor.ts';
import { getJob, getTask } from '../../storage/jobs.ts';

const PURPOSE = 'git-checkout';

export function checkoutCredential(secrets: SecretBox, taskId: string): string {
  return `${taskId}.${secrets.mac(`${PURPOSE}:${taskId}`)}`;
}

/** True when `credential` is a running task's and that task's job belongs to `projectId`. */
export async function checkoutAllowed(db: Db, secrets: SecretBox, credential: string, projectId: string): Promise<boolean> {
  const dot = credential.lastIndexOf('.');
  if (dot <= 0) return false;
  const taskId = credential.slice(0, dot);
  const want = Buffer.from(secrets.mac(`${PURPOSE}:${taskId}`));
  const got = Buffer.from(credential.slice(dot + 1));
  if (got.length !== want.length || !crypto.timingSafeEqual(got, want)) return false;
  const task = await getTask(db, taskId);
  if (!task || task.status !== 'running') return false;
  const job = await getJob(db, task.job_id);
  return job?.project_id === projectId;
}
