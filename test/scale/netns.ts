// A network of the test's own: one Linux bridge in the root namespace (the "switch", with the
// gateway address, where the test's own services listen) and one network namespace per host,
// each joined to the bridge by a veth pair and given an address of its own. Needs root and
// iproute2. Everything it makes is named after this process (`cc<pid>…`), so a run that died
// without cleaning up is recognised and removed by the next one, and `close()` (also run on
// process exit) deletes the namespaces, veths and bridge and kills what runs inside.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';

export interface NetHost {
  name: string;
  /** The network namespace (`ip netns exec <ns> …`). */
  ns: string;
  address: string;
}

const run = (args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
const tryRun = (args: string[]) => {
  try {
    return run(args);
  } catch {
    return '';
  }
};

/** Why this machine cannot build the network (undefined when it can). */
export function netnsUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'needs Linux network namespaces';
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'needs root (ip netns add)';
  try {
    execFileSync('ip', ['-V'], { stdio: 'ignore' });
  } catch {
    return 'needs iproute2 (the `ip` command)';
  }
  return undefined;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Kills every process in a namespace (what the test started there, and their children). */
function killInside(ns: string): void {
  for (const pid of tryRun(['netns', 'pids', ns]).split(/\s+/).filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Removes namespaces and bridges that runs which died before cleaning up left behind. */
function removeStale(): void {
  for (const line of tryRun(['netns', 'list']).split('\n')) {
    const m = /^(cc([0-9a-z]+)h\d+)\b/.exec(line);
    if (m && !alive(parseInt(m[2]!, 36))) {
      killInside(m[1]!);
      tryRun(['netns', 'del', m[1]!]);
    }
  }
  for (const line of tryRun(['-o', 'link', 'show', 'type', 'bridge']).split('\n')) {
    const m = /^\d+:\s+(cc([0-9a-z]+)br)[:@]/.exec(line);
    if (m && !alive(parseInt(m[2]!, 36))) tryRun(['link', 'del', m[1]!]);
  }
}

/** A /24 in 10.231.0.0/16 that no route of this machine covers. */
function freeSubnet(): string {
  const routes = tryRun(['-4', 'route', 'show']);
  for (let tries = 0; tries < 100; tries++) {
    const third = (process.pid + tries * 7) % 250;
    const prefix = `10.231.${third}`;
    if (!routes.includes(`${prefix}.`)) return prefix;
  }
  throw new Error('no free 10.231.x.0/24 subnet');
}

export class TestNetwork {
  readonly id = process.pid.toString(36);
  readonly bridge = `cc${this.id}br`;
  readonly prefix: string;
  /** The root namespace's address on the bridge: the test's services listen here. */
  readonly gateway: string;
  readonly hosts: NetHost[] = [];
  private readonly children = new Set<ChildProcess>();
  private closed = false;
  private readonly onExit = () => this.closeSync();

  constructor() {
    removeStale();
    this.prefix = freeSubnet();
    this.gateway = `${this.prefix}.1`;
    process.once('exit', this.onExit);
    try {
      run(['link', 'add', this.bridge, 'type', 'bridge']);
      run(['addr', 'add', `${this.gateway}/24`, 'dev', this.bridge]);
      run(['link', 'set', this.bridge, 'up']);
    } catch (err) {
      this.closeSync();
      throw err;
    }
  }

  /** A new host: its own namespace, a veth to the bridge, address <prefix>.<10 + n>, default route via the gateway. */
  addHost(name: string): NetHost {
    const n = this.hosts.length + 1;
    const ns = `cc${this.id}h${n}`;
    const outside = `cc${this.id}v${n}`;
    const host: NetHost = { name, ns, address: `${this.prefix}.${10 + n}` };
    run(['netns', 'add', ns]);
    this.hosts.push(host);
    run(['link', 'add', outside, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
    run(['link', 'set', outside, 'master', this.bridge]);
    run(['link', 'set', outside, 'up']);
    run(['-n', ns, 'addr', 'add', `${host.address}/24`, 'dev', 'eth0']);
    run(['-n', ns, 'link', 'set', 'eth0', 'up']);
    run(['-n', ns, 'link', 'set', 'lo', 'up']);
    run(['-n', ns, 'route', 'add', 'default', 'via', this.gateway]);
    return host;
  }

  /** Starts `argv` inside the host's namespace (the child's pid is the program's own: `ip netns exec` execs it). */
  spawn(host: NetHost, argv: string[], opts: { env: NodeJS.ProcessEnv; cwd?: string }): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', host.ns, ...argv], { env: opts.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    this.children.add(child);
    child.on('exit', () => this.children.delete(child));
    return child;
  }

  /** Deletes everything this network made; safe to call twice. */
  async close(): Promise<void> {
    for (const child of this.children) child.kill('SIGKILL');
    // Give the kills a moment to land before the namespaces go.
    await new Promise((r) => setTimeout(r, 100));
    this.closeSync();
  }

  private closeSync(): void {
    if (this.closed) return;
    this.closed = true;
    process.off('exit', this.onExit);
    for (const child of this.children) child.kill('SIGKILL');
    for (const host of this.hosts) {
      killInside(host.ns);
      tryRun(['netns', 'del', host.ns]);
    }
    tryRun(['link', 'del', this.bridge]);
  }

  /** Whether anything of this network is left (for the test's own clean-up check). */
  leftovers(): string[] {
    const left: string[] = [];
    const namespaces = tryRun(['netns', 'list']);
    for (const h of this.hosts) if (namespaces.includes(h.ns)) left.push(h.ns);
    if (fs.existsSync(`/sys/class/net/${this.bridge}`)) left.push(this.bridge);
    return left;
  }
}
