// Task credentials on the runner protocol (issue 18 item 4): every route under
// /tasks/:id needs the credential its claim returned (`x-circlet-task-credential`), the
// runner token that claimed the task and the claiming agent's id (`agent_id` in a JSON body,
// `x-circlet-agent` on uploads and downloads). A task that is not running, or held by
// another token, agent or credential, answers the same 409 as a lost lease.
import type { FastifyRequest } from 'fastify';
import { CircletError } from '../../../domain/errors.ts';
import type { Engine } from '../../../engine/engine.ts';
import type { RunnerToken } from '../../../storage/runner-tokens.ts';

export const TASK_CREDENTIAL_HEADER = 'x-circlet-task-credential';

function agentOf(req: FastifyRequest): string | undefined {
  const body = req.body as { agent_id?: unknown } | undefined;
  if (body && typeof body === 'object' && typeof body.agent_id === 'string') return body.agent_id;
  const header = req.headers['x-circlet-agent'];
  return typeof header === 'string' ? header : undefined;
}

export async function taskAuth(engine: Engine, runner: RunnerToken, req: FastifyRequest, taskId: string): Promise<void> {
  const credential = req.headers[TASK_CREDENTIAL_HEADER];
  if (typeof credential !== 'string' || credential === '') throw new CircletError('TASK_CREDENTIAL_REQUIRED', { header: TASK_CREDENTIAL_HEADER });
  if (!(await engine.runner.holds(taskId, { runnerTokenId: runner.id, agentId: agentOf(req), credential }))) {
    throw new CircletError('LEASE_LOST');
  }
}
