// Task credentials (issue 18 item 4): a claim hands the agent a random credential for that
// one task. Every later runner call for the task presents it with the runner token that
// claimed it and the claiming agent's id; it stops working when the task stops running.
// Stored as SHA-256 only. Checkouts from /git present it too, with the task id (checkout-credential.ts).
import crypto from 'node:crypto';
import { hashToken } from '../../domain/tokens.ts';
import type { Task } from '../../storage/jobs.ts';

/**
 * Random bytes for credentials, drawn from the CSPRNG 8 KiB at a time and each handed out
 * once: one draw per 256 claims instead of one per claim (a synchronous draw cost ~25 µs, a
 * tenth of a claim's CPU over HTTP).
 */
const POOL_BYTES = 8192;
let pool = Buffer.alloc(0);
let taken = 0;

function random32(): Buffer {
  if (taken + 32 > pool.length) {
    pool = crypto.randomBytes(POOL_BYTES);
    taken = 0;
  }
  const bytes = pool.subarray(taken, taken + 32);
  taken += 32;
  return bytes;
}

/** A new credential (32 random bytes, base64url) and its stored hash. */
export function newTaskCredential(): { credential: string; hash: string } {
  const bytes = random32();
  const credential = bytes.toString('base64url');
  bytes.fill(0); // handed out: not kept in memory beyond the string
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
