// Runs the real `circlet` program (bin/circlet.js) as child processes for the CLI tests.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin/circlet.js');

export const URL_LINE = /^circlet listening on (https?:\/\/127\.0\.0\.1:(\d+))$/;
export const TOKEN_RE = /^[0-9a-f]{40}$/;
export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The environment of a child: this one without circlet's own settings, plus `extra`. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CIRCLET_LOG_LEVEL: 'warn' };
  for (const name of ['PORT', 'DATABASE_URL', 'CIRCLET_DATA_DIR', 'CIRCLET_SECRET_KEY']) delete env[name];
  return { ...env, ...extra };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `circlet <args>` to completion. */
export function runCli(args: string[], opts: { env?: Record<string, string>; cwd?: string } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: opts.cwd ?? ROOT, env: childEnv(opts.env), timeout: 45_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  port: number;
  /** Everything printed on stdout so far. */
  stdout(): string;
  stderr(): string;
  /** Sends `signal` and resolves with how the process ended and how long that took. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number; stdout: string; stderr: string }>;
}

const running = new Set<ChildProcess>();

/** Kills whatever a failed test left running. */
export function killAll(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

/** What a spawned child has printed so far (`out`, `err`: they grow as it prints) and its exit. */
export interface Captured {
  out: string;
  err: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Collects a spawned child's stdout, stderr and exit; the child is in `live` until it exits (for killing what is left). */
export function capture(child: ChildProcess, live: Set<ChildProcess>): Captured {
  live.add(child);
  const io: Captured = {
    out: '',
    err: '',
    exited: new Promise((resolve) =>
      child.on('exit', (code, signal) => {
        live.delete(child);
        resolve({ code, signal });
      }),
    ),
  };
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (io.out += c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (io.err += c));
  return io;
}

/** Starts `circlet serve <args>` and resolves once it printed its URL line (rejects if it exits first). */
export function startServe(args: string[], opts: { env?: Record<string, string>; cwd?: string } = {}): Promise<ServeProcess> {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], { cwd: opts.cwd ?? ROOT, env: childEnv(opts.env), stdio: ['ignore', 'pipe', 'pipe'] });
  const io = capture(child, running);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`circlet serve did not print its URL within 40 s\nstdout: ${io.out}\nstderr: ${io.err}`));
    }, 40_000);
    const onData = () => {
      const first = io.out.split('\n')[0]!;
      if (!io.out.includes('\n')) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      const m = URL_LINE.exec(first);
      if (!m) {
        child.kill('SIGKILL');
        return reject(new Error(`unexpected first stdout line: ${JSON.stringify(first)}\nstderr: ${io.err}`));
      }
      resolve({
        child,
        url: m[1]!,
        port: Number(m[2]),
        stdout: () => io.out,
        stderr: () => io.err,
        async stop(signal = 'SIGTERM') {
          const started = Date.now();
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          const end = await io.exited;
          return { ...end, ms: Date.now() - started, stdout: io.out, stderr: io.err };
        },
      });
    };
    child.stdout!.on('data', onData);
    void io.exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`circlet serve exited (${code ?? signal}) before it was ready\nstdout: ${io.out}\nstderr: ${io.err}`));
    });
  });
}

/** GET `url` with a Circle-Token. */
export async function getJson(url: string, token?: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { headers: token ? { 'Circle-Token': token } : {} });
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = text;
  }
  return { status: res.status, body };
}

/** A port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}
