// A bare mirror per project under the data dir: fetches the ref a pipeline asks for
// (incrementally) and reads the commit and its config file with real git.
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export class GitError extends Error {}

export interface GitRefRequest {
  branch?: string;
  tag?: string;
  /** A commit to build; with a branch, it must be reachable from the fetched branch. */
  revision?: string;
}

export interface CommitInfo {
  revision: string;
  subject: string;
  body: string;
  authorName: string;
  authorEmail: string;
  authoredAt: string;
  committerName: string;
  committerEmail: string;
  committedAt: string;
}

export interface ResolvedRevision {
  commit: CommitInfo;
  /** The file's content at that commit, or null when it is absent. */
  file: string | null;
}

function run(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (opts.input === undefined) {
      execFile('git', args, { cwd: opts.cwd, env: opts.env, encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
        if (err) reject(new GitError(stderr.toString().trim() || err.message));
        else resolve(stdout);
      });
      return;
    }
    const child = spawn('git', args, { cwd: opts.cwd, env: opts.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(Buffer.concat(out)) : reject(new GitError(Buffer.concat(err).toString().trim()))));
    child.stdin.end(opts.input);
  });
}

function parseTimestamp(s: string): string {
  const m = /^(.*) <(.*)> (\d+) ([+-]\d{4})$/.exec(s);
  return m ? new Date(Number(m[3]) * 1000).toISOString() : '';
}

function parsePerson(s: string): { name: string; email: string; at: string } {
  const m = /^(.*) <(.*)> (\d+) ([+-]\d{4})$/.exec(s);
  return m ? { name: m[1]!, email: m[2]!, at: parseTimestamp(s) } : { name: s, email: '', at: '' };
}

/** Parses a raw commit object as `git cat-file` prints it. */
export function parseCommit(revision: string, raw: string): CommitInfo {
  const split = raw.indexOf('\n\n');
  const headers = (split === -1 ? raw : raw.slice(0, split)).split('\n');
  const message = split === -1 ? '' : raw.slice(split + 2);
  const header = (k: string) => headers.find((h) => h.startsWith(k + ' '))?.slice(k.length + 1) ?? '';
  const author = parsePerson(header('author'));
  const committer = parsePerson(header('committer'));
  const nl = message.indexOf('\n');
  return {
    revision,
    subject: (nl === -1 ? message : message.slice(0, nl)).trim(),
    body: (nl === -1 ? '' : message.slice(nl + 1)).trim(),
    authorName: author.name,
    authorEmail: author.email,
    authoredAt: author.at,
    committerName: committer.name,
    committerEmail: committer.email,
    committedAt: committer.at,
  };
}

/** Parses `git cat-file --batch` output for the given number of requests. */
function parseBatch(buf: Buffer, count: number): ({ sha: string; type: string; content: Buffer } | null)[] {
  const out: ({ sha: string; type: string; content: Buffer } | null)[] = [];
  let pos = 0;
  for (let i = 0; i < count; i++) {
    const eol = buf.indexOf(10, pos);
    const header = buf.subarray(pos, eol).toString();
    pos = eol + 1;
    const parts = header.split(' ');
    if (parts.length !== 3 || parts[1] === 'missing' || parts[1] === 'ambiguous') {
      out.push(null);
      continue;
    }
    const size = Number(parts[2]);
    out.push({ sha: parts[0]!, type: parts[1]!, content: buf.subarray(pos, pos + size) });
    pos += size + 1;
  }
  return out;
}

/** Byte length of `count` complete `git cat-file --batch` answers at the start of `buf`, or -1. */
function batchLength(buf: Buffer, count: number): number {
  let pos = 0;
  for (let i = 0; i < count; i++) {
    const eol = buf.indexOf(10, pos);
    if (eol === -1) return -1;
    const parts = buf.subarray(pos, eol).toString().split(' ');
    pos = eol + 1;
    if (parts.length !== 3) continue; // `<name> missing` / `<name> ambiguous`
    pos += Number(parts[2]) + 1;
    if (pos > buf.length) return -1;
  }
  return pos;
}

/** Kills a long-lived child and waits for its exit (at most 2 s). */
function endChild(child: ChildProcessWithoutNullStreams | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 2_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill();
  });
}

/**
 * A long-lived helper process that answers one request at a time on its pipes (a `git
 * cat-file --batch`, a shell): its start, its death (the pending request fails) and its end.
 */
abstract class HelperProcess<P extends { reject(e: Error): void }> {
  protected child?: ChildProcessWithoutNullStreams;
  protected pending?: P;

  /** Ends the process; resolves once it has exited (so no zombie outlives a process that exits next). */
  close(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    return endChild(child);
  }

  /** Starts the process; if it dies, the pending request fails with `stopped`. Call `detach` once its readers are attached. */
  protected spawnHelper(command: string, args: string[], cwd: string | undefined, stopped: string): ChildProcessWithoutNullStreams {
    const child = spawn(command, args, { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    const fail = () => {
      if (this.child === child) this.child = undefined;
      const p = this.pending;
      this.pending = undefined;
      p?.reject(new GitError(stopped));
    };
    child.on('error', fail);
    child.on('exit', fail);
    child.stdin.on('error', () => undefined);
    child.stderr.resume();
    return child;
  }

  /** Never keep the process alive for this. */
  protected detach(child: ChildProcessWithoutNullStreams): ChildProcessWithoutNullStreams {
    child.unref();
    for (const s of [child.stdin, child.stdout, child.stderr] as unknown as { unref?: () => void }[]) s.unref?.();
    return child;
  }
}

/**
 * A long-lived `git cat-file --batch` on one mirror, so a trigger costs no process start
 * for reading. Objects a later fetch adds are found (git rescans packs on a miss); refs
 * are resolved by the caller, so the process never serves a stale ref.
 */
class BatchReader extends HelperProcess<{ count: number; resolve(b: Buffer): void; reject(e: Error): void }> {
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly dir: string) {
    super();
  }

  read(names: string[]): Promise<Buffer> {
    if (names.some((n) => n.includes('\n'))) return Promise.reject(new GitError('invalid object name'));
    const child = this.child ?? this.start();
    // Referenced only while a read is pending: an idle reader never keeps the process alive.
    const stdout = child.stdout as unknown as { ref(): void; unref(): void };
    stdout.ref();
    return new Promise<Buffer>((resolve, reject) => {
      this.pending = { count: names.length, resolve, reject };
      child.stdin.write(names.join('\n') + '\n');
    }).finally(() => stdout.unref());
  }

  private start(): ChildProcessWithoutNullStreams {
    const child = this.spawnHelper('git', ['cat-file', '--batch'], this.dir, 'git cat-file stopped');
    this.buf = Buffer.alloc(0);
    child.stdout.on('data', (b: Buffer) => {
      this.buf = this.buf.length === 0 ? b : Buffer.concat([this.buf, b]);
      const p = this.pending;
      if (!p) return;
      const end = batchLength(this.buf, p.count);
      if (end < 0) return;
      const out = Buffer.from(this.buf.subarray(0, end));
      this.buf = this.buf.subarray(end);
      this.pending = undefined;
      p.resolve(out);
    });
    return this.detach(child);
  }
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * A long-lived `sh` that runs git commands for one mirror. Starting a process from a large
 * Node process costs several ms of CPU (the fork copies its page tables); from a small shell
 * it costs next to nothing, and a trigger starts a `git fetch` every time.
 */
class GitShell extends HelperProcess<{ resolve(code: number): void; reject(e: Error): void }> {
  private out = '';
  private readonly marker = `__circlet_${crypto.randomBytes(6).toString('hex')}__`;

  constructor(private readonly dir: string) {
    super();
  }

  /** Runs `git <args>` in the mirror with `env` added; rejects with git's stderr on failure. */
  async git(args: string[], env: Record<string, string>): Promise<void> {
    const errFile = path.join(this.dir, 'circlet-git.err');
    const child = this.child ?? this.start();
    const stdout = child.stdout as unknown as { ref(): void; unref(): void };
    stdout.ref();
    const assignments = Object.entries(env)
      .map(([k, v]) => `${k}=${quote(v)}`)
      .join(' ');
    const line = `cd ${quote(this.dir)} && ${assignments} git ${args.map(quote).join(' ')} </dev/null >/dev/null 2>${quote(errFile)}; printf '\\n%s %d\\n' ${this.marker} $?\n`;
    const code = await new Promise<number>((resolve, reject) => {
      this.pending = { resolve, reject };
      child.stdin.write(line);
    }).finally(() => stdout.unref());
    if (code !== 0) {
      let stderr = '';
      try {
        stderr = fs.readFileSync(errFile, 'utf8').trim();
      } catch {
        /* git did not start */
      }
      throw new GitError(stderr || `git ${args[0] ?? ''} exited with ${code}`);
    }
  }

  private start(): ChildProcessWithoutNullStreams {
    const child = this.spawnHelper('sh', [], undefined, 'the git shell stopped');
    this.out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      this.out += chunk;
      const m = new RegExp(`${this.marker} (\\d+)\\n`).exec(this.out);
      if (!m) return;
      this.out = this.out.slice(m.index + m[0].length);
      const p = this.pending;
      this.pending = undefined;
      p?.resolve(Number(m[1]));
    });
    return this.detach(child);
  }
}

/** The object a ref of a bare repository points at, read from its files; undefined if absent. */
function readRef(dir: string, ref: string): string | undefined {
  try {
    const loose = fs.readFileSync(path.join(dir, ref), 'utf8').trim();
    if (/^[0-9a-f]{40,64}$/.test(loose)) return loose;
  } catch {
    /* not a loose ref */
  }
  try {
    for (const line of fs.readFileSync(path.join(dir, 'packed-refs'), 'utf8').split('\n')) {
      const [sha, name] = line.split(' ');
      if (name === ref && sha && /^[0-9a-f]{40,64}$/.test(sha)) return sha;
    }
  } catch {
    /* no packed refs */
  }
  return undefined;
}

export class GitMirrors {
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly readers = new Map<string, BatchReader>();
  private readonly shells = new Map<string, GitShell>();

  /** Stops the mirrors' long-lived git processes; resolves once they have exited. */
  async close(): Promise<void> {
    const ending = [...this.readers.values(), ...this.shells.values()].map((p) => p.close());
    this.readers.clear();
    this.shells.clear();
    await Promise.all(ending);
  }

  private fetch(projectId: string, dir: string, args: string[], sshCommand?: string): Promise<void> {
    let shell = this.shells.get(projectId);
    if (!shell) this.shells.set(projectId, (shell = new GitShell(dir)));
    return shell.git(args, { GIT_TERMINAL_PROMPT: '0', ...(sshCommand ? { GIT_SSH_COMMAND: sshCommand } : {}) });
  }

  constructor(readonly root: string) {}

  mirrorPath(projectId: string): string {
    return path.join(this.root, `${projectId}.git`);
  }

  /** Runs `fn` after every earlier operation on the same mirror has finished. */
  private serialize<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.queues.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.queues.set(key, tail);
    void tail.then(() => {
      if (this.queues.get(key) === tail) this.queues.delete(key);
    });
    return next;
  }

  /**
   * Fetches the requested ref from `url` into the project's mirror and reads `file` at the
   * resulting commit. Errors are GitError with a message naming what was missing.
   */
  resolve(projectId: string, url: string, ref: GitRefRequest, file: string, sshKey?: string): Promise<ResolvedRevision> {
    return this.serialize(projectId, () => this.resolveNow(projectId, url, ref, file, sshKey));
  }

  private async resolveNow(projectId: string, url: string, ref: GitRefRequest, file: string, sshKey?: string): Promise<ResolvedRevision> {
    const dir = this.mirrorPath(projectId);
    if (!fs.existsSync(path.join(dir, 'HEAD'))) {
      fs.mkdirSync(dir, { recursive: true });
      await run(['init', '--bare', '--quiet', dir]);
    }
    const local = ref.tag ? `refs/tags/${ref.tag}` : `refs/heads/${ref.branch ?? ''}`;
    const env = await this.sshEnv(sshKey);
    try {
      // No auto-maintenance, FETCH_HEAD or forced-update walk: each would cost a process or
      // a history walk on every trigger.
      const fetchArgs = [
        '-c',
        'advice.fetchShowForcedUpdates=false',
        'fetch',
        '--quiet',
        '--no-tags',
        '--force',
        '--no-auto-maintenance',
        '--no-write-fetch-head',
        '--no-show-forced-updates',
        '--',
        url,
        `+${local}:${local}`,
      ];
      try {
        await this.fetch(projectId, dir, fetchArgs, env.env?.GIT_SSH_COMMAND);
      } catch (err) {
        const msg = (err as Error).message;
        if (/couldn't find remote ref|no such ref|not our ref/i.test(msg)) {
          throw new GitError(ref.tag ? `Tag '${ref.tag}' not found in the repository` : `Branch '${ref.branch}' not found in the repository`);
        }
        if (/cannot lock ref|unable to update local ref/i.test(msg)) {
          await new Promise((r) => setTimeout(r, 100));
          await this.fetch(projectId, dir, fetchArgs, env.env?.GIT_SSH_COMMAND);
        } else {
          throw new GitError(`Could not fetch ${ref.tag ? `tag '${ref.tag}'` : `branch '${ref.branch}'`}: ${msg}`);
        }
      }
    } finally {
      env.cleanup();
    }
    const target = ref.revision ?? readRef(dir, local) ?? local;
    let reader = this.readers.get(projectId);
    if (!reader) this.readers.set(projectId, (reader = new BatchReader(dir)));
    const [commit, blob] = parseBatch(await reader.read([`${target}^{commit}`, `${target}:${file}`]), 2);
    if (!commit) throw new GitError(`Revision '${ref.revision ?? local}' not found in the repository`);
    if (ref.revision && ref.branch) {
      try {
        await run(['merge-base', '--is-ancestor', commit.sha, local], { cwd: dir });
      } catch {
        throw new GitError(`Revision '${ref.revision}' is not on branch '${ref.branch}'`);
      }
    }
    return { commit: parseCommit(commit.sha, commit.content.toString('utf8')), file: blob && blob.type === 'blob' ? blob.content.toString('utf8') : null };
  }

  private async sshEnv(sshKey?: string): Promise<{ env?: NodeJS.ProcessEnv; cleanup(): void }> {
    if (!sshKey) return { env: undefined, cleanup() {} };
    const keyFile = path.join(os.tmpdir(), `circlet-key-${crypto.randomBytes(8).toString('hex')}`);
    fs.writeFileSync(keyFile, sshKey, { mode: 0o600 });
    return {
      env: {
        ...process.env,
        GIT_TERMINAL_PROMPT: '0',
        GIT_SSH_COMMAND: `ssh -i ${keyFile} -o IdentitiesOnly=yes -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile=/dev/null -o BatchMode=yes`,
      },
      cleanup: () => fs.rmSync(keyFile, { force: true }),
    };
  }
}
