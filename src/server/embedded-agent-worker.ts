// The embedded agent's worker thread (see embedded-agent.ts): a regular runner agent, talking
// to the server over loopback, whose output reading, masking and uploads run off the server's
// event loop. Log lines go to the parent thread, which writes them with the server's logger.
// First: before anything else takes a tick (keep-tick-shape.ts says why).
import './keep-tick-shape.ts';
import { parentPort, workerData } from 'node:worker_threads';
import { Agent, agentExecutor } from '../agent/agent.ts';
import type { Logger } from '../agent/logger.ts';
import type { EmbeddedAgentConfig, FromAgentWorker, ToAgentWorker } from './embedded-agent-protocol.ts';
import { portSink, sharedAlloc } from './embedded-output.ts';

const port = parentPort;
if (!port) throw new Error('embedded-agent-worker runs only as a worker thread');
const config = (workerData as { data: EmbeddedAgentConfig }).data;

function send(msg: FromAgentWorker): void {
  try {
    port!.postMessage(msg);
  } catch {
    // A log object that cannot be cloned goes as JSON.
    port!.postMessage(JSON.parse(JSON.stringify(msg)) as FromAgentWorker);
  }
}

const log =
  (level: 'info' | 'warn' | 'error') =>
  (obj: object, msg?: string): void =>
    send({ t: 'log', level, obj, msg });
const logger: Logger = { info: log('info'), warn: log('warn'), error: log('error') };

async function main(): Promise<void> {
  const { executor, reason } = await agentExecutor({ workDir: config.workDir, dockerOnHost: config.dockerOnHost });
  logger.info({ executors: executor.kinds }, reason);
  // Step output over the port, from buffers the server's thread reads where they are.
  const output = config.outputOverPort ? portSink(port!) : undefined;
  const agent = new Agent({
    url: config.url,
    token: config.token,
    agentId: config.agentId,
    concurrency: config.concurrency,
    executor,
    logger,
    checkoutFromOrigin: config.checkoutFromOrigin,
    outputSink: output?.sink,
    output: output ? { alloc: sharedAlloc } : undefined,
  });
  const running = agent.start().catch((err: unknown) => logger.error({ err: String(err) }, 'the embedded agent stopped'));
  port!.on('message', (msg: ToAgentWorker) => {
    if (msg.t === 'output-done') return output?.answer(msg);
    void (async () => {
      await agent.stop({ drainMs: msg.drainMs, message: msg.message }).catch(() => undefined);
      await running;
      send({ t: 'stopped' });
      port!.close();
    })();
  });
  send({ t: 'started' });
}

main().catch((err: unknown) => send({ t: 'failed', message: err instanceof Error ? err.message : String(err) }));
