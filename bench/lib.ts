// Helpers shared by the benchmarks: machine readings and a throw-away PostgreSQL database.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import pg from 'pg';

/** The load average, printed beside wall-clock figures (they stretch with it). */
export const loadAverage = (digits = 1): string => os.loadavg().map((l) => l.toFixed(digits)).join(' ');

/** CPU time of this process and of its waited-for children, in ms. */
export function cpuSplit(): { self: number; children: number } {
  const u = process.cpuUsage();
  let children = 0;
  try {
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    children = ((Number(f[13]) + Number(f[14])) * 1000) / 100; // cutime + cstime, at 100 ticks/s
  } catch {
    /* not Linux */
  }
  return { self: (u.user + u.system) / 1000, children };
}

export function cpuMs(): number {
  const c = cpuSplit();
  return c.self + c.children;
}

/** The PostgreSQL server a bench may use, or undefined (then its PostgreSQL half is skipped). */
export function benchPostgresUrl(): string | undefined {
  return process.env.CIRCLET_BENCH_DATABASE_URL || process.env.CIRCLET_TEST_DATABASE_URL || process.env.DATABASE_URL || undefined;
}

/** Runs `fn` with the URL of a fresh database on that server, dropped afterwards. */
export async function withFreshPostgres<T>(serverUrl: string, fn: (url: string) => Promise<T>): Promise<T> {
  const name = `circlet_bench_${crypto.randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE template0`);
    const u = new URL(serverUrl);
    u.pathname = '/' + name;
    try {
      return await fn(u.toString());
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
  } finally {
    await admin.end();
  }
}

/** utime + stime (ms) of each PostgreSQL backend serving the database of `url`, by pid; undefined when /proc cannot tell. */
async function backendCpu(url: string): Promise<Map<number, number> | undefined> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>('select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()');
    const byPid = new Map<number, number>();
    for (const { pid } of rows) {
      try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        byPid.set(pid, ((Number(f[11]) + Number(f[12])) * 1000) / 100); // utime + stime, at 100 ticks/s
      } catch {
        return undefined; // not this machine's PostgreSQL, or not readable
      }
    }
    return byPid;
  } finally {
    await client.end();
  }
}

/**
 * CPU time the PostgreSQL backends of a database spend over a phase, when the server runs on
 * this machine: `const m = await postgresCpuMeter(url); …; const ms = await m.stop()` (call
 * stop while the phase's connections are still open; undefined on a remote server). Backends
 * that started during the phase count from 0.
 */
export async function postgresCpuMeter(url: string): Promise<{ stop(): Promise<number | undefined> }> {
  const before = await backendCpu(url);
  return {
    async stop() {
      const after = await backendCpu(url);
      if (!before || !after) return undefined;
      let ms = 0;
      for (const [pid, t] of after) ms += t - (before.get(pid) ?? 0);
      return ms;
    },
  };
}

/** CPU time (ms) of each thread of this process, by thread id (Linux; empty elsewhere). */
export function threadCpuMs(): Map<number, number> {
  const byTid = new Map<number, number>();
  try {
    for (const tid of fs.readdirSync('/proc/self/task')) {
      try {
        const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        byTid.set(Number(tid), ((Number(f[11]) + Number(f[12])) * 1000) / 100);
      } catch {
        /* the thread ended */
      }
    }
  } catch {
    /* not Linux */
  }
  return byTid;
}

/**
 * This process's CPU over a phase by thread (ms): the main thread, the busiest other one
 * (in the server with an embedded agent: the agent's worker) and all the rest together.
 */
export function threadSplit(before: Map<number, number>, after = threadCpuMs()): { main: number; busiest: number; rest: number } {
  const deltas = [...after].map(([tid, ms]) => ({ tid, ms: ms - (before.get(tid) ?? 0) }));
  const main = deltas.find((d) => d.tid === process.pid)?.ms ?? 0;
  const others = deltas.filter((d) => d.tid !== process.pid).sort((a, b) => b.ms - a.ms);
  const busiest = others[0]?.ms ?? 0;
  return { main, busiest, rest: others.slice(1).reduce((s, d) => s + d.ms, 0) };
}
