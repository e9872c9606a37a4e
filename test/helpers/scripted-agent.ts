// A scripted agent speaking the runner protocol over HTTP: it claims tasks and reports
// the outcome a test chose for each job name, without running anything.
import type { BuildJob } from '../../src/config/compiled.ts';

export type Outcome = 'success' | 'failed' | 'infrastructure_fail' | 'timedout' | 'canceled' | 'hang';

export interface ScriptedAgentOptions {
  url: string;
  token: string;
  agentId?: string;
  executors?: string[];
  /** Outcome per job name; default success. */
  outcomes?: Record<string, Outcome>;
}

export interface ClaimedTask {
  task: { id: string; node_index: number; parallelism: number; lease_ms: number; credential: string };
  job: { id: string; number: number; name: string; config: BuildJob; executor: string; resource_class: string; ssh_enabled: boolean };
  workflow: { id: string; name: string };
  pipeline: { id: string };
  environment: Record<string, string>;
}

export class ScriptedAgent {
  readonly agentId: string;
  readonly claimed: ClaimedTask[] = [];
  private stopped = false;
  constructor(private readonly opts: ScriptedAgentOptions) {
    this.agentId = opts.agentId ?? `scripted-${Math.random().toString(36).slice(2)}`;
  }

  /** Task credentials of the claimed tasks, by task id (sent on every /tasks/:id call). */
  readonly credentials = new Map<string, string>();

  async call(path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
    const task = /^\/tasks\/([^/]+)\//.exec(path);
    const credential = task ? this.credentials.get(task[1]!) : undefined;
    const res = await fetch(this.opts.url + '/api/runner/v1' + path, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.opts.token}`, 'content-type': 'application/json', ...(credential ? { 'x-circlet-task-credential': credential } : {}), ...headers },
      body: JSON.stringify({ agent_id: this.agentId, ...(body as object) }),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  /** Claims one task (waiting up to waitMs) or returns undefined. */
  async claim(waitMs = 0): Promise<ClaimedTask | undefined> {
    const res = await this.call('/claim', { executors: this.opts.executors ?? ['docker', 'machine'], wait_ms: waitMs });
    if (res.status === 204) return undefined;
    if (res.status !== 200) throw new Error(`claim failed: ${res.status} ${JSON.stringify(res.body)}`);
    this.claimed.push(res.body);
    this.credentials.set(res.body.task.id, res.body.task.credential);
    return res.body;
  }

  /** Runs a claimed task to the scripted outcome: one step with output, then completion. */
  async finish(t: ClaimedTask, outcome?: Outcome): Promise<void> {
    const o = outcome ?? this.opts.outcomes?.[t.job.name] ?? 'success';
    if (o === 'hang') return;
    await this.call(`/tasks/${t.task.id}/steps`, { index: 0, name: 'scripted', type: 'run' });
    await this.call(`/tasks/${t.task.id}/steps/0/output`, { seq: 0, data: `running ${t.job.name}\n` });
    await this.call(`/tasks/${t.task.id}/steps/0/end`, { status: o === 'success' ? 'success' : 'failed', exit_code: o === 'success' ? 0 : 1 });
    const res = await this.call(`/tasks/${t.task.id}/complete`, { status: o });
    if (res.status !== 200) throw new Error(`complete failed: ${res.status} ${JSON.stringify(res.body)}`);
  }

  /** Reports the task's result without steps. */
  async complete(t: ClaimedTask, status: Exclude<Outcome, 'hang'>, message?: string): Promise<{ status: number; body: any }> {
    return this.call(`/tasks/${t.task.id}/complete`, { status, ...(message ? { message } : {}) });
  }

  /** The task's secrets: project and context variables, and the checkout key. */
  async secrets(t: ClaimedTask): Promise<{ status: number; body: any }> {
    return this.call(`/tasks/${t.task.id}/secrets`, {});
  }

  /** Long-polls for cancellation (extends the lease while waiting). */
  async cancellation(t: ClaimedTask, waitMs: number): Promise<{ status: number; body: any }> {
    return this.call(`/tasks/${t.task.id}/cancellation`, { wait_ms: waitMs });
  }

  async heartbeat(t: ClaimedTask): Promise<{ status: number; body: any }> {
    return this.call(`/tasks/${t.task.id}/heartbeat`, {});
  }

  /** Claims and finishes tasks until none is claimable for `idleMs`. */
  async drain(idleMs = 300): Promise<ClaimedTask[]> {
    const done: ClaimedTask[] = [];
    for (;;) {
      const t = await this.claim(idleMs);
      if (!t) return done;
      await this.finish(t);
      done.push(t);
    }
  }

  /** Runs in the background until stop(). */
  run(): Promise<void> {
    return (async () => {
      while (!this.stopped) {
        const t = await this.claim(200).catch(() => undefined);
        if (t) await this.finish(t).catch(() => undefined);
      }
    })();
  }

  stop(): void {
    this.stopped = true;
  }
}
