// The embedded agent's step output reaches its server without HTTP (server/embedded-output.ts):
// stored byte-exact and masked as over the raw route, with no output request on the wire; a
// chunk for a task the agent does not hold is refused as a lost lease; a failure the route
// would answer 5xx is retried as the client retries one.
import crypto from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { MessageChannel } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunnerClient, type OutputSink } from '../../src/agent/client.ts';
import { silentLogger } from '../../src/agent/logger.ts';
import { isCircletError } from '../../src/domain/errors.ts';
import { startEmbeddedAgent, type EmbeddedAgent } from '../../src/server/embedded-agent.ts';
import { portSink, storingSink, type OutputAnswer, type OutputMessage } from '../../src/server/embedded-output.ts';
import { Harness } from '../agent/harness.ts';
import { databaseKinds } from '../helpers/databases.ts';

const SECRET = 'hunter2-embedded-secret';

// Multi-byte text, a secret, ~600 KB of lines (several chunks) and a line on stderr.
const CONFIG = `
version: 2.1
jobs:
  build:
    machine: true
    steps:
      - run:
          name: print
          command: |
            printf 'héllo wörld ✓ %s\\n' "$SECRET_VALUE"
            i=0; while [ $i -lt 6000 ]; do printf '%05d %s\\n' $i "line of output to fill a few chunks, ninety bytes or so"; i=$((i+1)); done
            echo "to stderr: $SECRET_VALUE" >&2
workflows: {main: {jobs: [build]}}
`;

function expectedOutput(): string {
  let s = 'héllo wörld ✓ ********\n';
  for (let i = 0; i < 6000; i++) s += `${String(i).padStart(5, '0')} line of output to fill a few chunks, ninety bytes or so\n`;
  return s + 'to stderr: ********\n';
}

for (const kind of databaseKinds()) {
  describe(`embedded agent output without HTTP (${kind.name})`, () => {
    let h: Harness;
    let embedded: EmbeddedAgent;
    const outputRequests: string[] = [];
    const runnerRequests: string[] = [];
    beforeAll(async () => {
      h = await Harness.start(kind);
      h.server.app.server.on('request', (req: IncomingMessage) => {
        const url = req.url ?? '';
        if (url.startsWith('/api/runner/')) runnerRequests.push(url);
        if (/\/steps\/\d+\/output/.test(url)) outputRequests.push(url);
      });
      embedded = await startEmbeddedAgent({ database: h.server.database, url: h.server.url, dataDir: h.server.dataDir, concurrency: 1, logger: silentLogger, outputStore: h.server.engine.runner });
    });
    afterAll(async () => {
      await embedded?.stop(0);
      await h?.close();
    });

    it('stores the output byte-exact and masked, with no output request over HTTP', async () => {
      const { slug } = await h.project(CONFIG, { env: { SECRET_VALUE: SECRET } });
      const id = await h.trigger(slug);
      await h.waitDone(id, 60_000);
      const { build } = await h.jobs(id);
      const step = Harness.step(build!, 'print');
      expect(step.status).toBe('success');
      expect(step.output).toBe(expectedOutput());
      expect(step.output).not.toContain(SECRET);
      const chunks = await h.server.database.db.selectFrom('step_output').select(['seq', 'stream']).where('task_id', '=', (await taskOf(h, id))!).where('step_index', '=', step.index).orderBy('seq').execute();
      expect(chunks.length).toBeGreaterThan(1);
      expect(chunks.at(-1)!.stream).toBe('err');
      // The rest of the runner protocol still went over HTTP; the output did not.
      expect(runnerRequests.some((u) => /\/steps$/.test(u))).toBe(true);
      expect(outputRequests).toEqual([]);
    });

    it('refuses a chunk for a task the embedded agent does not hold, as a lost lease', async () => {
      const sink = storingSink(h.server.engine.runner, { runnerTokenId: crypto.randomUUID(), agentId: embedded.agentId });
      const err = await sink({ taskId: crypto.randomUUID(), credential: 'not-a-credential', index: 0, seq: 0, stream: 'out', data: Buffer.from('x\n') }).catch((e: unknown) => e);
      expect(isCircletError(err, 'LEASE_LOST')).toBe(true);
    });
  });
}

async function taskOf(h: Harness, pipelineId: string): Promise<string | undefined> {
  const row = await h.server.database.db
    .selectFrom('tasks')
    .innerJoin('jobs', 'jobs.id', 'tasks.job_id')
    .select('tasks.id')
    .where('jobs.pipeline_id', '=', pipelineId)
    .executeTakeFirst();
  return row?.id;
}

describe('the worker side of the output port', () => {
  /** A port sink answered by `answer` on the other end, in a client that retries 5xx. */
  function client(answer: (msg: OutputMessage, n: number) => OutputAnswer['error']) {
    const { port1, port2 } = new MessageChannel();
    const { sink, answer: deliver } = portSink(port1);
    port1.on('message', (m: OutputAnswer) => deliver(m));
    let n = 0;
    const seen: string[] = [];
    port2.on('message', (m: OutputMessage) => {
      seen.push(Buffer.from(m.data).toString('utf8'));
      port2.postMessage({ t: 'output-done', id: m.id, error: answer(m, n++) } satisfies OutputAnswer);
    });
    const c = new RunnerClient({ url: 'http://127.0.0.1:9', token: 't', agentId: 'a', retryDelayMs: 1, outputSink: sink as OutputSink });
    return { c, seen, close: () => (port1.close(), port2.close()) };
  }

  it('retries what the route would answer 5xx, and reports a lost lease at once', async () => {
    const flaky = client((_m, n) => (n === 0 ? { status: 500, message: 'database is locked' } : undefined));
    await flaky.c.output('task', 1, 0, 'out', Buffer.from('once more\n'));
    expect(flaky.seen).toEqual(['once more\n', 'once more\n']);
    flaky.close();

    const lost = client(() => ({ code: 'LEASE_LOST', status: 409, message: 'lease lost' }));
    const err = await lost.c.output('task', 1, 0, 'out', Buffer.from('x\n')).catch((e: unknown) => e);
    expect(isCircletError(err, 'LEASE_LOST')).toBe(true);
    expect(lost.seen).toHaveLength(1);
    lost.close();
  });
});
