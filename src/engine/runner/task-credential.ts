// Task credentials (issue 18 item 4): a claim hands the agent a random credential for that
// one task. Every later runner call for the task presents it with the runner token that
// claimed it and the claiming agent's id; it stops working when the task stops running.
// Stored as SHA-256 only. Checkouts from /git present it too, with the task id (checkout-credential.ts).
import crypto from 'node:crypto';
import { hashToken } from '../../domain/tokens.ts';
import type { Task } from '../../storage/jobs.ts';

/** A new credential (32 random bytes, base64url) and its stored hash. */
export function newTaskCredential(): { credential: string; hash: string } {
  const credential = crypto.randomBytes(32).toString('base64url');
  return { credential, hash: hashToken(credential) };
}

export interface TaskHolder {
  runnerTokenId: string;
  agentId: string | undefined;
  credential: string;
}

/** True when the task is running and held by exactly this token, agent and credential. */
export function heldBy(task: Task | undefined, holder: TaskHolder): task is Task {
  if (!task || task.status !== 'running' || !task.credential_hash) return false;
  if (task.runner_token_id !== holder.runnerTokenId || task.agent_id !== holder.agentId) return false;
  const given = Buffer.from(hashToken(holder.credential), 'hex');
  const stored = Buffer.from(task.credential_hash, 'hex');
  return given.length === stored.length && crypto.timingSafeEqual(given, stored);
}
