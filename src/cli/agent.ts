// `circlet agent`: a runner agent that claims jobs from a circlet server over HTTP.
import { Command, InvalidArgumentError } from 'commander';
import { action, requireOptions } from './shared.ts';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('must be a number of seconds');
  return n;
}

function collect(value: string, prev: string[]): string[] {
  return [...prev, value];
}

export function agentCommand(): Command {
  const cmd = new Command('agent')
    .description('run a runner agent: claim jobs from a circlet server and run them on this machine')
    .option('--server <url>', 'the server\'s URL')
    .option('--token <token>', 'runner token (env CIRCLET_RUNNER_TOKEN)')
    .option('--resource-class <name>', 'self-hosted resource class to run (ns/name; repeatable); none = cloud classes', collect, [])
    .option('--concurrency <n>', 'jobs to run at once', positiveInt, 1)
    .option('--work-dir <dir>', 'where job workspaces are created (default: <tmp>/circlet-agent-<uid>)')
    .option('--docker-on-host', 'also run docker jobs, on the host, ignoring their images')
    .option('--machine-image <image>', 'run machine jobs in a container of this image (needs a Docker engine; default: on the host)')
    .option('--drain-timeout <seconds>', 'on SIGTERM, how long running jobs get to finish before they are handed back', seconds, 600)
    .option('--checkout-from-origin', "`checkout` fetches from the project's repository URL (with its checkout key) instead of the server's mirror")
    .option('--name <id>', 'agent id shown by the server (default: host name and a random suffix)')
    .action(
      action(async (opts: { server: string; token?: string; resourceClass: string[]; concurrency: number; workDir?: string; dockerOnHost?: boolean; machineImage?: string; drainTimeout: number; name?: string; checkoutFromOrigin?: boolean }) => {
        const token = opts.token ?? process.env.CIRCLET_RUNNER_TOKEN;
        if (!token) throw new Error('a runner token is required (--token or CIRCLET_RUNNER_TOKEN); create one with `circlet runner token create`');
        const [{ Agent, agentExecutor }, { default: pino }] = await Promise.all([import('../agent/agent.ts'), import('pino')]);
        const logger = pino({ level: process.env.CIRCLET_LOG_LEVEL ?? 'info' }, pino.destination(2));
        const { executor, reason } = await agentExecutor({ workDir: opts.workDir, dockerOnHost: opts.dockerOnHost, machineImage: opts.machineImage });
        logger.info({ executors: executor.kinds }, reason);
        const agent = new Agent({
          url: opts.server,
          token,
          agentId: opts.name,
          concurrency: opts.concurrency,
          resourceClasses: opts.resourceClass,
          executor,
          logger,
          checkoutFromOrigin: opts.checkoutFromOrigin,
        });
        let signals = 0;
        const onSignal = (signal: NodeJS.Signals) => {
          signals++;
          if (signals === 1) {
            logger.info({ signal, running: agent.running, drainSeconds: opts.drainTimeout }, 'draining: no new jobs; running jobs may finish');
            void agent.stop({ drainMs: opts.drainTimeout * 1000 });
          } else {
            logger.warn({ signal }, 'stopping running jobs now');
            agent.abandon();
          }
        };
        process.on('SIGTERM', onSignal);
        process.on('SIGINT', onSignal);
        process.stdout.write(`circlet agent ${agent.agentId} polling ${opts.server} (${agent.executor.kinds.join(', ')})\n`);
        await agent.start();
        await agent.stop();
        process.stdout.write('circlet agent stopped\n');
      }),
    );
  return requireOptions(cmd, 'server');
}
