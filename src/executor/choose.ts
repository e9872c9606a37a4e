// Choosing an agent's executor: the docker executor when an engine answers, else the host
// executor. The engine is pinged over its socket with node:http, so an agent that ends up on
// the host (no engine, or `--host`) never loads the Docker client (dockerode and its gRPC
// dependencies cost a noticeable share of a short `circlet run`).
import fs from 'node:fs';
import http from 'node:http';
import { HostExecutor } from './host.ts';
import type { DockerExecutorOptions } from './docker.ts';

/** Where the agent's node binary is mounted (read-only) in primary containers, for the `circleci` helper. */
export const CONTAINER_NODE = '/opt/circlet/node';

/** The engine's socket: DOCKER_HOST=unix://… or /var/run/docker.sock. */
export function defaultSocket(): string {
  const h = process.env.DOCKER_HOST;
  return h?.startsWith('unix://') ? h.slice('unix://'.length) : '/var/run/docker.sock';
}

/** Answers whether an engine answers `GET /_ping` on the socket within `timeoutMs`, and why not. */
export function pingEngine(socketPath = defaultSocket(), timeoutMs = 2_000): Promise<{ ok: true } | { ok: false; reason: string }> {
  if (!fs.existsSync(socketPath)) return Promise.resolve({ ok: false, reason: `no Docker engine socket at ${socketPath}` });
  const doesNotAnswer = (why: string) => ({ ok: false as const, reason: `the Docker engine at ${socketPath} does not answer (${why})` });
  return new Promise((resolve) => {
    const req = http.get({ socketPath, path: '/_ping', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200 ? { ok: true } : doesNotAnswer(`HTTP ${res.statusCode}`));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    req.on('error', (err) => resolve(doesNotAnswer(err.message)));
  });
}

export interface ChooseExecutorOptions extends DockerExecutorOptions {
  /** Run docker jobs on the host instead (no engine needed). */
  dockerOnHost?: boolean;
}

/**
 * The executor an agent uses: the docker executor when an engine answers, else the host
 * executor (which then does not advertise `docker` unless `dockerOnHost`). `reason` says why.
 */
export async function chooseExecutor(opts: ChooseExecutorOptions): Promise<{ executor: HostExecutor; reason: string }> {
  if (opts.dockerOnHost) return { executor: new HostExecutor(opts), reason: 'docker jobs run on the host (--docker-on-host)' };
  const socketPath = opts.socketPath ?? defaultSocket();
  const ping = await pingEngine(socketPath);
  if (ping.ok) {
    const { DockerExecutor } = await import('./docker.ts');
    return { executor: new DockerExecutor({ ...opts, socketPath }), reason: `docker jobs run in containers (engine at ${socketPath})` };
  }
  const machine = opts.machineImage ? `; machine jobs run on the host, not in ${opts.machineImage}` : '';
  return { executor: new HostExecutor(opts), reason: `docker jobs are not claimed: ${ping.reason}${machine}` };
}
