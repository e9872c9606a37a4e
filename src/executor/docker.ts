// The docker executor: `docker:` jobs in real containers through the Docker Engine API
// (dockerode). The first image is the primary container, kept alive by an init process
// (`HostConfig.Init`) running `sleep infinity`; every command is a `docker exec` in it. Further
// images are service containers sharing the primary's network namespace (`localhost`).
//
// The job's workspace (home, bin, tmp, internal) is the host executor's, bind-mounted into the
// primary at the same path: paths mean the same on both sides, so the agent's step modules
// (caches, workspaces, artifacts, test results, checkout keys) work unchanged and fast. Paths
// outside the workspace (`working_directory: /app`, caches of `/usr/local/...`) are read and
// written inside the container (exec + tar, putArchive). Other kinds (machine) run on the host.
// See docs/docker.md.
//
// This class is the one entry point; its parts live in docker/: images (image.ts), the job's
// containers and labels (containers.ts), commands in the primary (exec.ts), files outside the
// workspace (files.ts), the workspace's owner (workspace.ts), resource classes (resources.ts)
// and setup_remote_docker's engine proxy (remote-docker.ts).
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import Docker from 'dockerode';
import type { DockerImage } from '../config/compiled.ts';
import { defaultSocket, pingEngine } from './choose.ts';
import { HostExecutor, hostKinds, type HostExecutorOptions } from './host.ts';
import type { ExecOptions, FileEntry, JobSpec, RunningCommand, TarExport, Workspace } from './types.ts';
import { jobLabels, removeJobContainers, startJobContainers, sweepContainers, type JobContainers } from './docker/containers.ts';
import { capture, runCommand, signalMarked } from './docker/exec.ts';
import * as inContainer from './docker/files.ts';
import { ensureImage, imagePath } from './docker/image.ts';
import { closeRemoteDocker, CONTAINER_DOCKER_CLI, setupRemoteDocker } from './docker/remote-docker.ts';
import { resourceLimits } from './docker/resources.ts';
import { fixOwner as fixOwnerOf, within } from './docker/workspace.ts';

export { CONTAINER_NODE } from './choose.ts';
export { LABEL } from './docker/containers.ts';
export { CONTAINER_DOCKER_CLI } from './docker/remote-docker.ts';
export { RESOURCE_CLASSES, resourceLimits } from './docker/resources.ts';

export interface DockerExecutorOptions extends HostExecutorOptions {
  /** The engine's socket (default /var/run/docker.sock, or DOCKER_HOST=unix://...). */
  socketPath?: string;
  /** An existing client (tests). */
  docker?: Docker;
  /** Host paths mounted read-only into primary containers: host path → container path. Tool scripts naming a host path get the container path. */
  mounts?: Record<string, string>;
  /** Network of the primary container (default `bridge`). */
  network?: string;
  /** How long an image pull may take (default 10 min). */
  pullTimeoutMs?: number;
  /** Run `machine` jobs in a container of this image (default: on the host). */
  machineImage?: string;
  /** The docker CLI mounted for `setup_remote_docker` (default: `docker` on PATH; false: none). */
  dockerCli?: string | false;
}

/** Answers whether an engine is reachable (a ping within `timeoutMs`, choose.ts), with a client for it, and why not. */
export async function pingDocker(socketPath = defaultSocket(), timeoutMs = 2_000): Promise<{ ok: true; docker: Docker } | { ok: false; reason: string }> {
  const ping = await pingEngine(socketPath, timeoutMs);
  return ping.ok ? { ok: true, docker: new Docker({ socketPath }) } : ping;
}

export class DockerExecutor extends HostExecutor {
  override readonly kinds: readonly string[];
  readonly docker: Docker;
  private readonly jobs = new Map<string, JobContainers>();
  private readonly workDir: string;
  private engineCpus: number | undefined;
  private readonly socketPath: string;
  private readonly dockerCli: string | undefined;

  constructor(private readonly dopts: DockerExecutorOptions) {
    super({ ...dopts, dockerOnHost: false });
    this.kinds = hostKinds(true);
    this.socketPath = dopts.socketPath ?? defaultSocket();
    this.docker = dopts.docker ?? new Docker({ socketPath: this.socketPath });
    this.dockerCli =
      dopts.dockerCli === false
        ? undefined
        : (dopts.dockerCli ?? (process.env.PATH ?? '').split(path.delimiter).map((d) => path.join(d, 'docker')).find((f) => fs.existsSync(f)));
    this.workDir = path.resolve(dopts.workDir);
  }

  override async prepare(spec: JobSpec): Promise<Workspace> {
    if (spec.executor.kind === 'machine' && this.dopts.machineImage) {
      // A machine job in a container of the configured machine image (the job's own `image:` names a VM image circlet does not have).
      const ws = await this.prepare({ ...spec, executor: { kind: 'docker', images: [{ image: this.dopts.machineImage, environment: {} }] } });
      ws.notes.unshift(`machine job: running in a container of the agent's machine image ${this.dopts.machineImage} (--machine-image)`);
      return ws;
    }
    if (spec.executor.kind !== 'docker') return super.prepare(spec);
    const images = spec.executor.images;
    if (images.length === 0) throw new Error('a docker job needs at least one image');
    // Tool scripts name host paths (the agent's node and helper): give them the container's.
    const mounts = Object.entries(this.dopts.mounts ?? {}).sort((a, b) => b[0].length - a[0].length);
    const tools: Record<string, string> = {};
    for (const [name, content] of Object.entries(spec.tools ?? {})) tools[name] = mounts.reduce((c, [h, ct]) => c.split(h).join(ct), content);
    const ws = await super.prepare({ ...spec, executor: { kind: 'machine', docker_layer_caching: false }, tools });
    try {
      await this.startContainers(ws, spec, images);
    } catch (err) {
      await this.cleanup(ws).catch(() => undefined);
      throw err;
    }
    return ws;
  }

  private async startContainers(ws: Workspace, spec: JobSpec, images: readonly DockerImage[]): Promise<void> {
    const t0 = Date.now();
    const labels = jobLabels(this.workDir, spec.id);
    // Pull (or find) every image at once.
    const pullTimeoutMs = this.dopts.pullTimeoutMs ?? 600_000;
    const pulled = await Promise.all(images.map((img) => ensureImage(this.docker, img, pullTimeoutMs)));
    const searchPath = await imagePath(this.docker, images[0]!.image);
    this.engineCpus ??= (await this.docker.info().catch(() => ({ NCPU: os.cpus().length })) as { NCPU?: number }).NCPU ?? os.cpus().length;
    const limits = resourceLimits(spec.resourceClass, this.engineCpus);
    const suffix = crypto.randomBytes(3).toString('hex');
    const base = `circlet-${spec.id.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 40)}-${suffix}`;
    const binds = [`${ws.root}:${ws.root}`, ...Object.entries(this.dopts.mounts ?? {}).map(([h, c]) => `${h}:${c}:ro`)];
    if (this.dockerCli) binds.push(`${fs.realpathSync(this.dockerCli)}:${CONTAINER_DOCKER_CLI}:ro`);
    const network = this.dopts.network ?? 'bridge';
    const job = await startJobContainers(this.docker, { name: base, images, labels, binds, network, limits }, (j) => this.jobs.set(ws.id, j));
    // The container user owns the workspace (images such as cimg/* run as a non-root user).
    const probe = await capture(this.docker, job, ['sh', '-c', 'id -u; id -g; if [ -x /bin/bash ]; then echo bash; else echo sh; fi']);
    const [uid, gid, shell] = probe.out.trim().split('\n');
    job.uid = Number.isInteger(Number(uid)) ? Number(uid) : 0;
    job.gid = Number.isInteger(Number(gid)) ? Number(gid) : 0;
    await this.fixOwner(ws, ws.root);
    ws.baseEnv = {
      PATH: `${ws.binDir}:${searchPath}`,
      HOME: ws.home,
      TMPDIR: ws.baseEnv.TMPDIR!,
      CIRCLET_WORKSPACE: ws.root,
    };
    ws.defaultShell = shell === 'bash' ? ['/bin/bash', '-eo', 'pipefail'] : ['/bin/sh', '-e'];
    ws.notes = [
      `Running in Docker containers (engine ${this.dopts.socketPath ?? defaultSocket()}), workspace ${ws.root}`,
      ...images.map((img, i) => `${i === 0 ? 'Primary container' : `Service container${img.name ? ` ${img.name}` : ''}`}: ${img.image} (${pulled[i]})`),
      `Limits (resource_class ${spec.resourceClass}): ${limits.cpus} CPU, ${limits.memoryMiB} MiB; containers started in ${Date.now() - t0} ms`,
    ];
  }

  /** Makes what the host wrote below `p` the container user's (non-root images). */
  private fixOwner(ws: Workspace, p: string): Promise<void> {
    return fixOwnerOf(this.jobs.get(ws.id), ws, p);
  }

  override exec(ws: Workspace, opts: ExecOptions): RunningCommand {
    const job = this.jobs.get(ws.id);
    if (!job) return super.exec(ws, opts);
    return runCommand(this.docker, job, ws, opts, (p) => this.fixOwner(ws, p));
  }

  // Files: in the workspace (bind-mounted) on the host, handed to the container user; elsewhere inside the container.

  override async writeFile(ws: Workspace, p: string, data: string, mode = 0o644): Promise<void> {
    const abs = this.resolvePath(ws, p);
    const job = this.jobs.get(ws.id);
    if (!job || within(ws.root, abs)) {
      await super.writeFile(ws, p, data, mode);
      return this.fixOwner(ws, abs);
    }
    return inContainer.writeFile(this.docker, job, ws.internalDir, abs, data, mode, (f) => this.fixOwner(ws, f));
  }

  override async readFile(ws: Workspace, p: string): Promise<string | undefined> {
    const abs = this.resolvePath(ws, p);
    const job = this.jobs.get(ws.id);
    if (!job || within(ws.root, abs)) return super.readFile(ws, p);
    return inContainer.readFile(this.docker, job, abs);
  }

  override async mkdir(ws: Workspace, p: string): Promise<void> {
    const abs = this.resolvePath(ws, p);
    const job = this.jobs.get(ws.id);
    if (!job || within(ws.root, abs)) {
      await super.mkdir(ws, p);
      return this.fixOwner(ws, abs);
    }
    return inContainer.mkdir(this.docker, job, abs);
  }

  override async listFiles(ws: Workspace, p: string): Promise<FileEntry[]> {
    const abs = this.resolvePath(ws, p);
    const job = this.jobs.get(ws.id);
    if (!job || within(ws.root, abs)) return super.listFiles(ws, p);
    return inContainer.listFiles(this.docker, job, abs);
  }

  override async realPath(ws: Workspace, p: string): Promise<string | undefined> {
    const abs = this.resolvePath(ws, p);
    const job = this.jobs.get(ws.id);
    if (!job || within(ws.root, abs)) return super.realPath(ws, p);
    return inContainer.realPath(this.docker, job, abs);
  }

  override async readStream(ws: Workspace, p: string): Promise<Readable | undefined> {
    const abs = this.resolvePath(ws, p);
    const job = this.jobs.get(ws.id);
    if (!job || within(ws.root, abs)) return super.readStream(ws, p);
    return inContainer.readStream(this.docker, job, abs);
  }

  override async exportTar(ws: Workspace, cwd: string, paths: string[]): Promise<TarExport> {
    const base = this.resolvePath(ws, cwd);
    const job = this.jobs.get(ws.id);
    if (!job || (within(ws.root, base) && paths.every((p) => within(ws.root, path.resolve(base, p))))) return super.exportTar(ws, cwd, paths);
    return inContainer.exportTar(this.docker, job, base, paths);
  }

  override async importTar(ws: Workspace, archive: Readable, dir: string): Promise<void> {
    const abs = this.resolvePath(ws, dir);
    const job = this.jobs.get(ws.id);
    if (!job || within(ws.root, abs)) {
      await super.importTar(ws, archive, dir);
      return this.fixOwner(ws, abs);
    }
    await this.mkdir(ws, abs);
    await job.primary.putArchive(archive, { path: abs });
  }

  override async killAll(ws: Workspace, graceMs = 500): Promise<void> {
    const job = this.jobs.get(ws.id);
    if (!job) return super.killAll(ws, graceMs);
    await signalMarked(this.docker, job, `CIRCLET_WORKSPACE=${ws.root}`, 'TERM', graceMs);
  }

  override async cleanup(ws: Workspace): Promise<void> {
    const job = this.jobs.get(ws.id);
    this.jobs.delete(ws.id);
    if (job) {
      await removeJobContainers(job);
      await closeRemoteDocker(this.docker, job, ws.id);
    }
    await super.cleanup(ws);
  }

  /**
   * `setup_remote_docker`: docker commands in the job reach the agent's engine (separate from
   * the job's containers) through a per-job socket proxy in the workspace, which appears in the
   * primary as /var/run/docker.sock. The proxy labels what the job creates (containers,
   * networks, volumes), so it is removed with the job. Returns notes for the step's output, or
   * undefined when `ws` is not a docker job's.
   */
  async setupRemoteDocker(ws: Workspace): Promise<string[] | undefined> {
    const job = this.jobs.get(ws.id);
    if (!job) return undefined;
    return setupRemoteDocker(this.docker, job, ws, { socketPath: this.socketPath, workDir: this.workDir, dockerCli: this.dockerCli });
  }

  /** Removes workspaces and containers that an agent which died (same work dir) left behind. */
  override async sweep(): Promise<number> {
    const removed = await super.sweep();
    return removed + (await sweepContainers(this.docker, this.workDir, this.jobs.values()));
  }
}
