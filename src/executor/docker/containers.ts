// A docker job's containers: the primary, kept alive by an init process (`HostConfig.Init`)
// running `sleep infinity`, and its service containers, which share the primary's network
// namespace (reachable on `localhost`, and by name through `ExtraHosts`). Every container
// carries circlet's labels, so that it is removed with its job, or swept when the agent that
// made it died.
import type net from 'node:net';
import os from 'node:os';
import type Docker from 'dockerode';
import type { DockerImage, Environment } from '../../config/compiled.ts';
import { processAlive } from '../host.ts';

/** Every container circlet creates carries this label (value: the agent's work dir). */
export const LABEL = 'io.circlet.workdir';
/** The agent that made it: `host:pid`. */
export const LABEL_OWNER = 'io.circlet.owner';
/** The job (its workspace id). */
export const LABEL_JOB = 'io.circlet.job';

/** The labels of what circlet creates for job `jobId` of the agent whose work dir is `workDir`. */
export function jobLabels(workDir: string, jobId: string): Record<string, string> {
  return { [LABEL]: workDir, [LABEL_OWNER]: `${os.hostname()}:${process.pid}`, [LABEL_JOB]: jobId };
}

export interface JobContainers {
  primary: Docker.Container;
  services: Docker.Container[];
  uid: number;
  gid: number;
  execs: number;
  /** The `setup_remote_docker` socket proxy, when the job asked for it. */
  proxy?: net.Server;
}

export interface StartContainers {
  /** The primary's name; service containers are named after it. */
  name: string;
  /** The job's images: the first is the primary. */
  images: readonly DockerImage[];
  labels: Record<string, string>;
  /** The primary's bind mounts (`host:container[:ro]`). */
  binds: string[];
  /** The primary's network. */
  network: string;
  limits: { cpus: number; memoryMiB: number };
}

function argv(v: string | readonly string[] | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  return typeof v === 'string' ? ['/bin/sh', '-c', v] : [...v];
}

function envList(env: Environment): string[] {
  return Object.entries(env).map(([k, v]) => `${k}=${v}`);
}

/**
 * Creates and starts the primary, then the service containers. `created` gets the job's
 * containers as soon as the primary exists (before it starts), so that whatever fails after
 * that still finds them to remove.
 */
export async function startJobContainers(docker: Docker, o: StartContainers, created: (job: JobContainers) => void): Promise<JobContainers> {
  const { name: base, images, labels, limits } = o;
  const primaryImg = images[0]!;
  const extraHosts = images.slice(1).flatMap((s) => (s.name ? [`${s.name}:127.0.0.1`] : []));
  const primary = await docker.createContainer({
    name: base,
    Image: primaryImg.image,
    Entrypoint: ['sleep'],
    Cmd: ['infinity'],
    User: primaryImg.user,
    Labels: labels,
    HostConfig: {
      Init: true,
      Binds: o.binds,
      NetworkMode: o.network,
      ExtraHosts: extraHosts,
      NanoCpus: Math.round(limits.cpus * 1e9),
      Memory: limits.memoryMiB * 1024 * 1024,
    },
  });
  const job: JobContainers = { primary, services: [], uid: 0, gid: 0, execs: 0 };
  created(job);
  await primary.start();
  // Service containers: the primary's network namespace, so they are reachable on localhost.
  await Promise.all(
    images.slice(1).map(async (s, i) => {
      const c = await docker.createContainer({
        name: `${base}-svc${i + 1}${s.name ? `-${s.name.replace(/[^A-Za-z0-9_.-]/g, '_')}` : ''}`,
        Image: s.image,
        Entrypoint: argv(s.entrypoint),
        Cmd: argv(s.command),
        User: s.user,
        Env: envList(s.environment),
        Labels: labels,
        HostConfig: { NetworkMode: `container:${primary.id}`, NanoCpus: Math.round(limits.cpus * 1e9), Memory: limits.memoryMiB * 1024 * 1024 },
      });
      job.services.push(c);
      await c.start();
    }),
  );
  return job;
}

/** Removes the job's containers (forced, with their anonymous volumes); errors are ignored. */
export async function removeJobContainers(job: JobContainers): Promise<void> {
  await Promise.all([...job.services, job.primary].map((c) => c.remove({ force: true, v: true }).catch(() => undefined)));
}

/**
 * Removes the containers labelled with `workDir` that belong to none of `live` (this agent's
 * jobs), except those of another agent process alive on this host. Returns how many.
 */
export async function sweepContainers(docker: Docker, workDir: string, live: Iterable<JobContainers>): Promise<number> {
  let removed = 0;
  const list = await docker.listContainers({ all: true, filters: { label: [`${LABEL}=${workDir}`] } }).catch(() => []);
  const mine = new Set([...live].flatMap((j) => [j.primary.id, ...j.services.map((s) => s.id)]));
  for (const c of list) {
    if (mine.has(c.Id)) continue;
    const [host, pid] = String(c.Labels?.[LABEL_OWNER] ?? '').split(':');
    if (host === os.hostname() && Number(pid) !== process.pid && processAlive(Number(pid))) continue;
    await docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined);
    removed++;
  }
  return removed;
}
