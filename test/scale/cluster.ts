// The processes of the multi-host chaos test: `circlet serve` replicas and `circlet agent`
// processes, each in a network namespace of its own (test/scale/netns.ts), started with the
// real program (bin/circlet.js), readiness read from their first stdout line, output kept in a
// log file for the post-mortem; and the webhook receiver the replicas deliver to.
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import path from 'node:path';
import { childEnv, ROOT } from '../cli/child.ts';
import type { NetHost, TestNetwork } from './netns.ts';

const BIN = path.join(ROOT, 'bin/circlet.js');

export interface Proc {
  name: string;
  host: NetHost;
  child: ChildProcess;
  /** Resolves when it exited (how). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  log: string;
}

/** Starts `circlet <args>` in `host`'s namespace; resolves once a stdout line matches `ready`. */
export function startInNamespace(net: TestNetwork, host: NetHost, name: string, args: string[], env: Record<string, string>, ready: RegExp, logDir: string): Promise<Proc> {
  const log = path.join(logDir, `${name}.log`);
  const out = fs.createWriteStream(log, { flags: 'a' });
  out.write(`--- ${new Date().toISOString()} start ${args.join(' ')}\n`);
  const child = net.spawn(host, [process.execPath, BIN, ...args], { env: childEnv(env), cwd: ROOT });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      out.end(`--- ${new Date().toISOString()} exit ${code ?? signal}\n`);
      resolve({ code, signal });
    }),
  );
  let stdout = '';
  let isReady = false;
  child.stderr!.pipe(out, { end: false });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} was not ready within 60 s; see ${log}`));
    }, 60_000);
    child.stdout!.setEncoding('utf8').on('data', (c: string) => {
      out.write(c);
      if (isReady) return;
      stdout += c;
      if (ready.test(stdout)) {
        isReady = true;
        clearTimeout(timer);
        resolve({ name, host, child, exited, log });
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code ?? signal}) before it was ready; see ${log}:\n${fs.readFileSync(log, 'utf8').slice(-2000)}`));
    });
  });
}

/** SIGKILL, and wait until the process is gone. */
export async function kill9(p: Proc): Promise<void> {
  p.child.kill('SIGKILL');
  await p.exited;
}

export interface Delivery {
  type: string;
  id: string;
  jobId?: string;
  workflowId?: string;
  status?: string;
  at: number;
}

/** An HTTP receiver for outbound webhooks: records every delivery, answers 200. */
export class WebhookReceiver {
  readonly deliveries: Delivery[] = [];
  private server?: http.Server;
  url = '';

  async listen(host: string): Promise<string> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id: string; type: string; job?: { id: string; status: string }; workflow?: { id: string; status?: string } };
          this.deliveries.push({ type: body.type, id: body.id, jobId: body.job?.id, workflowId: body.workflow?.id, status: body.job?.status ?? body.workflow?.status, at: Date.now() });
          res.writeHead(200).end('ok');
        } catch {
          res.writeHead(400).end('bad body');
        }
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, host, () => resolve()));
    this.url = `http://${host}:${(this.server.address() as net.AddressInfo).port}/hook`;
    return this.url;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
