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
