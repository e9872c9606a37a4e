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
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Writable, type Readable } from 'node:stream';
import Docker from 'dockerode';
import type { DockerImage, Environment } from '../config/compiled.ts';
import { defaultSocket, pingEngine } from './choose.ts';
import { HostExecutor, hostKinds, processAlive, type HostExecutorOptions } from './host.ts';
import type { ExecOptions, ExitStatus, FileEntry, JobSpec, RunningCommand, TarExport, Workspace } from './types.ts';

/** Every container circlet creates carries this label (value: the agent's work dir). */
export const LABEL = 'io.circlet.workdir';
const LABEL_OWNER = 'io.circlet.owner';
const LABEL_JOB = 'io.circlet.job';

export { CONTAINER_NODE } from './choose.ts';

/** Where the agent's docker CLI is mounted (read-only) in primary containers, for `setup_remote_docker`. */
export const CONTAINER_DOCKER_CLI = '/opt/circlet/bin/docker';

/** resource_class → limits (docs/docker.md). CPUs are capped at the engine's CPU count. */
export const RESOURCE_CLASSES: Record<string, { cpus: number; memoryMiB: number }> = {
  small: { cpus: 1, memoryMiB: 2048 },
  medium: { cpus: 2, memoryMiB: 4096 },
  'medium+': { cpus: 3, memoryMiB: 6144 },
  large: { cpus: 4, memoryMiB: 8192 },
  xlarge: { cpus: 8, memoryMiB: 16384 },
  '2xlarge': { cpus: 16, memoryMiB: 32768 },
  '2xlarge+': { cpus: 20, memoryMiB: 40960 },
};

export function resourceLimits(resourceClass: unknown, engineCpus: number): { cpus: number; memoryMiB: number } {
  const rc = typeof resourceClass === 'string' && RESOURCE_CLASSES[resourceClass] ? resourceClass : 'medium';
  const l = RESOURCE_CLASSES[rc]!;
  return { cpus: Math.max(0.01, Math.min(l.cpus, engineCpus || l.cpus)), memoryMiB: l.memoryMiB };
}

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

interface JobContainers {
  primary: Docker.Container;
  services: Docker.Container[];
  uid: number;
  gid: number;
  execs: number;
  /** The `setup_remote_docker` socket proxy, when the job asked for it. */
  proxy?: net.Server;
}

/** How long a command's output may stay open after its process exited (children holding it). */
const OUTPUT_GRACE_MS = 1_000;

/** Runs a command in the job's working directory; 127 with a message when the shell is missing. */
const WRAP = [
  'mkdir -p -- "$1" 2>/dev/null; cd -- "$1" || exit 1; shift',
  'if [ ! -x "$1" ] && ! command -v "$1" >/dev/null 2>&1; then echo "circlet: could not start $1: not found" >&2; exit 127; fi',
  'exec "$@"',
].join('\n');

/** Signals every process of the container whose environment holds the marker `$1` (TERM, then KILL after `$3` ms; or just `$2`). */
const KILL = [
  'm=$1; sig=$2; grace=$3',
  'pids() { for p in /proc/[0-9]*; do tr "\\0" "\\n" < "$p/environ" 2>/dev/null | grep -qxF -- "$m" && echo "${p#/proc/}"; done; }',
  'l=$(pids); [ -n "$l" ] || exit 0',
  'kill -s "$sig" $l 2>/dev/null',
  '[ "$sig" = TERM ] && [ "$grace" -gt 0 ] || exit 0',
  'i=0; while [ $i -lt "$grace" ] && [ -n "$(pids)" ]; do sleep 0.05; i=$((i + 50)); done',
  'l=$(pids); [ -n "$l" ] && kill -s KILL $l 2>/dev/null; exit 0',
].join('\n');

function argv(v: string | readonly string[] | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  return typeof v === 'string' ? ['/bin/sh', '-c', v] : [...v];
}

function envList(env: Environment): string[] {
  return Object.entries(env).map(([k, v]) => `${k}=${v}`);
}

function within(root: string, p: string): boolean {
  return p === root || p.startsWith(root + path.sep);
}


/** Answers whether an engine is reachable (a ping within `timeoutMs`), and why not. */
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
    const labels = { [LABEL]: this.workDir, [LABEL_OWNER]: `${os.hostname()}:${process.pid}`, [LABEL_JOB]: spec.id };
    // Pull (or find) every image at once.
    const pulled = await Promise.all(images.map((img) => this.ensureImage(img)));
    const primaryImg = images[0]!;
    const info = await this.docker.getImage(primaryImg.image).inspect();
    const imageEnv = (info.Config?.Env ?? []) as string[];
    const imagePath = imageEnv.find((e) => e.startsWith('PATH='))?.slice(5) ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
    this.engineCpus ??= (await this.docker.info().catch(() => ({ NCPU: os.cpus().length })) as { NCPU?: number }).NCPU ?? os.cpus().length;
    const limits = resourceLimits(spec.resourceClass, this.engineCpus);
    const suffix = crypto.randomBytes(3).toString('hex');
    const base = `circlet-${spec.id.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 40)}-${suffix}`;
    const binds = [`${ws.root}:${ws.root}`, ...Object.entries(this.dopts.mounts ?? {}).map(([h, c]) => `${h}:${c}:ro`)];
    if (this.dockerCli) binds.push(`${fs.realpathSync(this.dockerCli)}:${CONTAINER_DOCKER_CLI}:ro`);
    const extraHosts = images.slice(1).flatMap((s) => (s.name ? [`${s.name}:127.0.0.1`] : []));
    const primary = await this.docker.createContainer({
      name: base,
      Image: primaryImg.image,
      Entrypoint: ['sleep'],
      Cmd: ['infinity'],
      User: primaryImg.user,
      Labels: labels,
      HostConfig: {
        Init: true,
        Binds: binds,
        NetworkMode: this.dopts.network ?? 'bridge',
        ExtraHosts: extraHosts,
        NanoCpus: Math.round(limits.cpus * 1e9),
        Memory: limits.memoryMiB * 1024 * 1024,
      },
    });
    const job: JobContainers = { primary, services: [], uid: 0, gid: 0, execs: 0 };
    this.jobs.set(ws.id, job);
    await primary.start();
    // Service containers: the primary's network namespace, so they are reachable on localhost.
    await Promise.all(
      images.slice(1).map(async (s, i) => {
        const c = await this.docker.createContainer({
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
    // The container user owns the workspace (images such as cimg/* run as a non-root user).
    const probe = await this.capture(job, ['sh', '-c', 'id -u; id -g; if [ -x /bin/bash ]; then echo bash; else echo sh; fi']);
    const [uid, gid, shell] = probe.out.trim().split('\n');
    job.uid = Number.isInteger(Number(uid)) ? Number(uid) : 0;
    job.gid = Number.isInteger(Number(gid)) ? Number(gid) : 0;
    await this.fixOwner(ws, ws.root);
    ws.baseEnv = {
      PATH: `${ws.binDir}:${imagePath}`,
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

  /** A local image is used as is; otherwise it is pulled (with the image's `auth`). */
  private async ensureImage(img: DockerImage): Promise<string> {
    try {
      await this.docker.getImage(img.image).inspect();
      return 'local image';
    } catch {
      /* not here: pull */
    }
    const t0 = Date.now();
    const auth = img.auth ? { username: img.auth.username, password: img.auth.password } : undefined;
    const timeoutMs = this.dopts.pullTimeoutMs ?? 600_000;
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out after ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
        const done = (err?: unknown) => {
          clearTimeout(timer);
          if (err) reject(err instanceof Error ? err : new Error(String(err)));
          else resolve();
        };
        this.docker.pull(img.image, auth ? { authconfig: auth } : {}).then(
          (stream) => this.docker.modem.followProgress(stream, (err: Error | null) => done(err ?? undefined)),
          done,
        );
      });
    } catch (err) {
      throw new Error(`could not pull image ${img.image}: ${err instanceof Error ? err.message.trim() : String(err)}`);
    }
    return `pulled in ${((Date.now() - t0) / 1000).toFixed(1)} s`;
  }

  /** Makes what the host wrote below `p` the container user's (non-root images). */
  private async fixOwner(ws: Workspace, p: string): Promise<void> {
    const job = this.jobs.get(ws.id);
    if (!job || !within(ws.root, p) || typeof process.getuid !== 'function' || process.getuid() !== 0 || job.uid === 0) return;
    const visit = async (abs: string): Promise<void> => {
      const st = await fs.promises.lstat(abs).catch(() => undefined);
      if (!st) return;
      await fs.promises.lchown(abs, job.uid, job.gid).catch(() => undefined);
      if (st.isDirectory()) for (const n of await fs.promises.readdir(abs).catch(() => [] as string[])) await visit(path.join(abs, n));
    };
    await visit(p);
  }

  /** Runs a command in the primary container and collects its output. */
  private async capture(job: JobContainers, cmd: string[], opts: { user?: string; stdout?: Writable } = {}): Promise<{ code: number; out: string; err: string }> {
    const exec = await job.primary.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true, User: opts.user });
    const stream = await exec.start({ hijack: true, stdin: false });
    let out = '';
    let err = '';
    const outW = opts.stdout ?? new Writable({ write: (c: Buffer, _e, cb) => ((out += c.toString()), cb()) });
    const errW = new Writable({ write: (c: Buffer, _e, cb) => ((err += c.toString()), cb()) });
    this.docker.modem.demuxStream(stream, outW, errW);
    await new Promise<void>((resolve, reject) => {
      stream.once('end', resolve);
      stream.once('close', resolve);
      stream.once('error', reject);
    });
    const st = await exec.inspect();
    return { code: st.ExitCode ?? -1, out, err };
  }

  /** Signals the container's processes carrying `marker` in their environment. */
  private signalMarked(job: JobContainers, marker: string, signal: string, graceMs = 0): Promise<unknown> {
    return this.capture(job, ['sh', '-c', KILL, 'kill', marker, signal, String(graceMs)], { user: '0' }).catch(() => undefined);
  }

  override exec(ws: Workspace, opts: ExecOptions): RunningCommand {
    const job = this.jobs.get(ws.id);
    if (!job) return super.exec(ws, opts);
    const n = ++job.execs;
    const script = path.join(ws.internalDir, `script-d${n}`);
    const marker = `CIRCLET_EXEC=${ws.id}-${n}`;
    let killedWith: NodeJS.Signals | undefined;
    let started = false;
    const out = (s: 'out' | 'err') => new Writable({ write: (c: Buffer, _e, cb) => (opts.onOutput(s, c), cb()) });
    const exited = (async (): Promise<ExitStatus> => {
      try {
        await fs.promises.writeFile(script, opts.script, { mode: 0o700 });
        await this.fixOwner(ws, script);
        const env = Object.entries(opts.env).map(([k, v]) => `${k}=${v}`);
        env.push(marker);
        const exec = await job.primary.exec({ Cmd: ['/bin/sh', '-c', WRAP, 'circlet', opts.cwd, ...opts.shell, script], Env: env, AttachStdout: true, AttachStderr: true });
        const stream = await exec.start({ hijack: true, stdin: false });
        started = true;
        if (killedWith) void this.signalMarked(job, marker, killedWith.replace(/^SIG/, ''));
        this.docker.modem.demuxStream(stream, out('out'), out('err'));
        await new Promise<void>((resolve) => {
          let timer: NodeJS.Timeout | undefined;
          let finished = false;
          const done = () => {
            finished = true;
            clearTimeout(timer);
            resolve();
          };
          stream.once('end', done);
          stream.once('close', done);
          stream.once('error', done);
          // A process left behind may hold the output open: once the command itself exited,
          // stop waiting soon (but keep reading, so that process is not cut off).
          const poll = async () => {
            const st = await exec.inspect().catch(() => undefined);
            if (finished) return;
            if (st && !st.Running) timer = setTimeout(done, OUTPUT_GRACE_MS);
            else timer = setTimeout(() => void poll(), 250);
          };
          timer = setTimeout(() => void poll(), 250);
        });
        const st = await exec.inspect();
        const code = st.ExitCode ?? null;
        if (killedWith && (code === null || code >= 128)) {
          const sig = Object.entries(os.constants.signals).find(([, v]) => code !== null && v === code - 128)?.[0] ?? killedWith;
          return { code: null, signal: sig };
        }
        return { code, signal: null };
      } catch (err) {
        opts.onOutput('err', Buffer.from(`circlet: could not start ${opts.shell.join(' ')}: ${err instanceof Error ? err.message : String(err)}\n`));
        return { code: 127, signal: null };
      }
    })();
    return {
      pid: -1,
      exited,
      kill: (signal: NodeJS.Signals = 'SIGKILL') => {
        killedWith = signal;
        if (started) void this.signalMarked(job, marker, signal.replace(/^SIG/, ''));
      },
    };
  }

  override async writeFile(ws: Workspace, p: string, data: string, mode = 0o644): Promise<void> {
    const abs = this.resolvePath(ws, p);
    const job = this.jobs.get(ws.id);
    if (!job || within(ws.root, abs)) {
      await super.writeFile(ws, p, data, mode);
      return this.fixOwner(ws, abs);
    }
    const tmp = path.join(ws.internalDir, `file-${crypto.randomBytes(4).toString('hex')}`);
    await fs.promises.writeFile(tmp, data);
    await this.fixOwner(ws, tmp);
    const r = await this.capture(job, ['sh', '-c', 'mkdir -p -- "$(dirname -- "$2")" && cp -- "$1" "$2" && chmod "$3" "$2"', 'w', tmp, abs, mode.toString(8)]);
    await fs.promises.rm(tmp, { force: true });
    if (r.code !== 0) throw new Error(`could not write ${abs}: ${r.err.trim()}`);
  }

  override async readFile(ws: Workspace, p: string): Promise<string | undefined> {
    const abs = this.resolvePath(ws, p);
    const job = this.jobs.get(ws.id);
    if (!job || within(ws.root, abs)) return super.readFile(ws, p);
    const r = await this.capture(job, ['cat', '--', abs]).catch(() => undefined);
    return r && r.code === 0 ? r.out : undefined;
  }

  override async mkdir(ws: Workspace, p: string): Promise<void> {
    const abs = this.resolvePath(ws, p);
    const job = this.jobs.get(ws.id);
    if (!job || within(ws.root, abs)) {
      await super.mkdir(ws, p);
      return this.fixOwner(ws, abs);
    }
    const r = await this.capture(job, ['mkdir', '-p', '--', abs]);
    if (r.code !== 0) throw new Error(`could not create ${abs}: ${r.err.trim()}`);
  }

  override async listFiles(ws: Workspace, p: string): Promise<FileEntry[]> {
    const abs = this.resolvePath(ws, p);
    const job = this.jobs.get(ws.id);
    if (!job || within(ws.root, abs)) return super.listFiles(ws, p);
    const r = await this.capture(job, ['find', '-H', abs, '-printf', '%y\\t%s\\t%p\\0']);
    const types: Record<string, FileEntry['type']> = { f: 'file', d: 'dir', l: 'symlink' };
    const entries = r.out
      .split('\0')
      .filter(Boolean)
      .map((line) => {
        const [y, size, ...rest] = line.split('\t');
        const type = types[y!] ?? 'other';
        return { path: rest.join('\t'), type, size: type === 'file' ? Number(size) : 0 };
      });
    const parts = (x: string) => x.split('/');
    return entries.sort((a, b) => {
      const pa = parts(a.path);
      const pb = parts(b.path);
      for (let i = 0; i < Math.min(pa.length, pb.length); i++) if (pa[i] !== pb[i]) return pa[i]! < pb[i]! ? -1 : 1;
      return pa.length - pb.length;
    });
  }

  override async realPath(ws: Workspace, p: string): Promise<string | undefined> {
    const abs = this.resolvePath(ws, p);
    const job = this.jobs.get(ws.id);
    if (!job || within(ws.root, abs)) return super.realPath(ws, p);
    const r = await this.capture(job, ['readlink', '-e', '--', abs]).catch(() => undefined);
    return r && r.code === 0 ? r.out.trim() : undefined;
  }

  override async readStream(ws: Workspace, p: string): Promise<Readable | undefined> {
    const abs = this.resolvePath(ws, p);
    const job = this.jobs.get(ws.id);
    if (!job || within(ws.root, abs)) return super.readStream(ws, p);
    if ((await this.capture(job, ['test', '-f', abs])).code !== 0) return undefined;
    const stream = new PassThrough();
    this.capture(job, ['cat', '--', abs], { stdout: stream }).then(
      (r) => (r.code === 0 ? stream.end() : stream.destroy(new Error(`could not read ${abs}: ${r.err.trim()}`))),
      (err: Error) => stream.destroy(err),
    );
    return stream;
  }

  override async exportTar(ws: Workspace, cwd: string, paths: string[]): Promise<TarExport> {
    const base = this.resolvePath(ws, cwd);
    const job = this.jobs.get(ws.id);
    if (!job || (within(ws.root, base) && paths.every((p) => within(ws.root, path.resolve(base, p))))) return super.exportTar(ws, cwd, paths);
    const exists = await this.capture(job, ['sh', '-c', 'cd -- "$1" 2>/dev/null || exit 0; shift; for p in "$@"; do if [ -e "$p" ] || [ -L "$p" ]; then echo 1; else echo 0; fi; done', 'x', base, ...paths]);
    const flags = exists.out.split('\n');
    const included = paths.filter((_p, i) => flags[i] === '1');
    const missing = paths.filter((_p, i) => flags[i] !== '1');
    const stream = new PassThrough();
    if (included.length === 0) {
      stream.end();
      return { stream, included, missing };
    }
    this.capture(job, ['tar', '-c', '-f', '-', '-C', base, '--', ...included], { stdout: stream }).then(
      (r) => (r.code === 0 || r.code === 1 ? stream.end() : stream.destroy(new Error(`tar exited with code ${r.code}: ${r.err.trim()}`))),
      (err: Error) => stream.destroy(err),
    );
    return { stream, included, missing };
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
    await this.signalMarked(job, `CIRCLET_WORKSPACE=${ws.root}`, 'TERM', graceMs);
  }

  override async cleanup(ws: Workspace): Promise<void> {
    const job = this.jobs.get(ws.id);
    this.jobs.delete(ws.id);
    if (job) {
      await Promise.all([...job.services, job.primary].map((c) => c.remove({ force: true, v: true }).catch(() => undefined)));
      if (job.proxy) {
        job.proxy.close();
        // What the job started through setup_remote_docker (labelled by the proxy).
        const filters = { label: [`${LABEL_JOB}=${ws.id}`] };
        const left = await this.docker.listContainers({ all: true, filters }).catch(() => []);
        await Promise.all(left.map((c) => this.docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined)));
        const nets = await this.docker.listNetworks({ filters }).catch(() => []);
        await Promise.all(nets.map((n) => this.docker.getNetwork(n.Id).remove().catch(() => undefined)));
        const vols = await this.docker.listVolumes({ filters }).catch(() => ({ Volumes: [] }));
        await Promise.all((vols.Volumes ?? []).map((v) => this.docker.getVolume(v.Name).remove().catch(() => undefined)));
      }
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
    const sock = path.join(ws.internalDir, 'docker.sock');
    if (!job.proxy) {
      await fs.promises.rm(sock, { force: true });
      job.proxy = dockerProxy(this.socketPath, { [LABEL]: this.workDir, [LABEL_OWNER]: `${os.hostname()}:${process.pid}`, [LABEL_JOB]: ws.id });
      await new Promise<void>((resolve, reject) => {
        job.proxy!.once('error', reject);
        job.proxy!.listen(sock, resolve);
      });
      await fs.promises.chmod(sock, 0o666);
    }
    const r = await this.capture(job, ['sh', '-c', 'mkdir -p /var/run && ln -sf "$1" /var/run/docker.sock && if command -v docker >/dev/null 2>&1; then echo has-cli; fi', 'x', sock], { user: '0' });
    if (r.code !== 0) throw new Error(`could not link /var/run/docker.sock: ${r.err.trim()}`);
    const notes = [`Remote Docker engine: the agent's engine (${this.socketPath}), reached through /var/run/docker.sock in this container; what the job creates there is removed when it ends.`];
    if (!r.out.includes('has-cli')) {
      if (!this.dockerCli) return [...notes, 'This image has no docker CLI and the agent has none to lend.'];
      await fs.promises.symlink(CONTAINER_DOCKER_CLI, path.join(ws.binDir, 'docker')).catch(() => undefined);
      notes.push('This image has no docker CLI: the agent\'s is on PATH.');
    }
    return notes;
  }

  /** Removes workspaces and containers that an agent which died (same work dir) left behind. */
  override async sweep(): Promise<number> {
    let removed = await super.sweep();
    const list = await this.docker.listContainers({ all: true, filters: { label: [`${LABEL}=${this.workDir}`] } }).catch(() => []);
    const mine = new Set([...this.jobs.values()].flatMap((j) => [j.primary.id, ...j.services.map((s) => s.id)]));
    for (const c of list) {
      if (mine.has(c.Id)) continue;
      const [host, pid] = String(c.Labels?.[LABEL_OWNER] ?? '').split(':');
      if (host === os.hostname() && Number(pid) !== process.pid && processAlive(Number(pid))) continue;
      await this.docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined);
      removed++;
    }
    return removed;
  }
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
