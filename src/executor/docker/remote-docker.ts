// `setup_remote_docker` in a docker job: docker commands in the job reach the agent's engine
// (separate from the job's containers) through a per-job socket proxy in the workspace, which
// appears in the primary as /var/run/docker.sock. The proxy labels what the job creates
// (containers, networks, volumes), so that it is removed with the job.
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import type Docker from 'dockerode';
import type { Workspace } from '../types.ts';
import { jobLabels, LABEL_JOB, type JobContainers } from './containers.ts';
import { capture } from './exec.ts';

/** Where the agent's docker CLI is mounted (read-only) in primary containers, for `setup_remote_docker`. */
export const CONTAINER_DOCKER_CLI = '/opt/circlet/bin/docker';

export interface RemoteDockerOptions {
  /** The agent's engine. */
  socketPath: string;
  /** The agent's work dir (the proxy's labels). */
  workDir: string;
  /** The agent's docker CLI, when it has one to lend (mounted at CONTAINER_DOCKER_CLI). */
  dockerCli: string | undefined;
}

/** Starts the job's proxy (once) and links /var/run/docker.sock to it in the primary. Returns notes for the step's output. */
export async function setupRemoteDocker(docker: Docker, job: JobContainers, ws: Workspace, o: RemoteDockerOptions): Promise<string[]> {
  const sock = path.join(ws.internalDir, 'docker.sock');
  if (!job.proxy) {
    await fs.promises.rm(sock, { force: true });
    job.proxy = dockerProxy(o.socketPath, jobLabels(o.workDir, ws.id));
    await new Promise<void>((resolve, reject) => {
      job.proxy!.once('error', reject);
      job.proxy!.listen(sock, resolve);
    });
    await fs.promises.chmod(sock, 0o666);
  }
  const r = await capture(docker, job, ['sh', '-c', 'mkdir -p /var/run && ln -sf "$1" /var/run/docker.sock && if command -v docker >/dev/null 2>&1; then echo has-cli; fi', 'x', sock], { user: '0' });
  if (r.code !== 0) throw new Error(`could not link /var/run/docker.sock: ${r.err.trim()}`);
  const notes = [`Remote Docker engine: the agent's engine (${o.socketPath}), reached through /var/run/docker.sock in this container; what the job creates there is removed when it ends.`];
  if (!r.out.includes('has-cli')) {
    if (!o.dockerCli) return [...notes, 'This image has no docker CLI and the agent has none to lend.'];
    await fs.promises.symlink(CONTAINER_DOCKER_CLI, path.join(ws.binDir, 'docker')).catch(() => undefined);
    notes.push('This image has no docker CLI: the agent\'s is on PATH.');
  }
  return notes;
}

/** Closes the job's proxy, if it has one, and removes what the job started through it (labelled with job `jobId`); errors are ignored. */
export async function closeRemoteDocker(docker: Docker, job: JobContainers, jobId: string): Promise<void> {
  if (!job.proxy) return;
  job.proxy.close();
  // What the job started through setup_remote_docker (labelled by the proxy).
  const filters = { label: [`${LABEL_JOB}=${jobId}`] };
  const left = await docker.listContainers({ all: true, filters }).catch(() => []);
  await Promise.all(left.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined)));
  const nets = await docker.listNetworks({ filters }).catch(() => []);
  await Promise.all(nets.map((n) => docker.getNetwork(n.Id).remove().catch(() => undefined)));
  const vols = await docker.listVolumes({ filters }).catch(() => ({ Volumes: [] }));
  await Promise.all((vols.Volumes ?? []).map((v) => docker.getVolume(v.Name).remove().catch(() => undefined)));
}

/**
 * An HTTP proxy for the Docker API on a unix socket: requests pass through to `engine`
 * unchanged (streamed, hijacked connections piped), except that containers, networks and
 * volumes created through it get `labels`.
 */
function dockerProxy(engine: string, labels: Record<string, string>): net.Server {
  const server = http.createServer((req, res) => {
    const forward = (body?: Buffer) => {
      const headers = { ...req.headers };
      if (body) {
        headers['content-length'] = String(body.length);
        delete headers['transfer-encoding'];
      }
      const up = http.request({ socketPath: engine, method: req.method, path: req.url, headers }, (ur) => {
        res.writeHead(ur.statusCode ?? 502, ur.headers);
        res.flushHeaders(); // long polls (wait) answer headers long before a body
        ur.pipe(res);
      });
      up.on('error', (err) => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`circlet docker proxy: ${err.message}\n`);
      });
      if (body) up.end(body);
      else req.pipe(up);
    };
    if (req.method !== 'POST' || !/\/(containers|networks|volumes)\/create(\?|$)/.test(req.url ?? '')) return forward();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      try {
        const spec = JSON.parse(body.toString() || '{}') as { Labels?: Record<string, string> };
        spec.Labels = { ...spec.Labels, ...labels };
        body = Buffer.from(JSON.stringify(spec));
      } catch {
        /* not JSON: the engine answers */
      }
      forward(body);
    });
  });
  server.requestTimeout = 0;
  server.headersTimeout = 0;
  server.timeout = 0;
  // attach / exec start: the connection becomes a raw stream both ways.
  server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    const up = net.connect(engine, () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      up.write(lines.join('\r\n') + '\r\n\r\n');
      if (head.length > 0) up.write(head);
      socket.pipe(up);
      up.pipe(socket);
    });
    up.on('error', () => socket.destroy());
    socket.on('error', () => up.destroy());
  });
  return server;
}
