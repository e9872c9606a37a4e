// Scale-out benchmark (issue 16), on PostgreSQL:
//
//   CIRCLET_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench:scale
//   BENCH_SCALE_JOBS=200 BENCH_SCALE_MB=64 npm run bench:scale
//
// 1. Trivial jobs/s end to end (claim → step → output → end step → complete, over HTTP) with
//    1, 2, 4 and 8 agents against one and two replicas sharing one database (agents spread
//    round-robin over the replicas), beside the raw claim floor measured in the same run (the
//    claim UPDATE … SKIP LOCKED alone, on as many connections as agents).
// 2. Blob store MB/s, upload and download, for the filesystem, PostgreSQL (chunked rows) and S3
//    (s3rver, a real S3-protocol server on loopback) stores, beside a raw file copy and a raw SDK
//    multipart put of the same file.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import pg from 'pg';
import { Upload } from '@aws-sdk/lib-storage';
import { createSecretBox } from '../src/domain/secret-box.ts';
import { nowIso } from '../src/domain/clock.ts';
import { createInstance, type Instance } from '../src/server/instance.ts';
import { FileBlobStore, type BlobStore } from '../src/storage/blob-store.ts';
import { DbBlobStore } from '../src/storage/blob-store-db.ts';
import { S3BlobStore } from '../src/storage/blob-store-s3.ts';
import { openAndMigrate, type Database } from '../src/storage/db.ts';
import { addMember, ensureOrganization } from '../src/storage/organizations.ts';
import { createProject } from '../src/storage/projects.ts';
import { createRunnerToken } from '../src/storage/runner-tokens.ts';
import { createApiToken, ensureUser } from '../src/storage/users.ts';
import { makeRepo } from '../test/helpers/git.ts';
import { ScriptedAgent } from '../test/helpers/scripted-agent.ts';
import { S3_CREDENTIALS, startS3 } from '../test/helpers/s3.ts';
import { benchPostgresUrl, loadAverage, withFreshPostgres } from './lib.ts';

const JOBS = Number(process.env.BENCH_SCALE_JOBS ?? 120);
const MB = Number(process.env.BENCH_SCALE_MB ?? 32);
const JOBS_PER_PIPELINE = 40;

function config(): string {
  const jobs = Array.from({ length: JOBS_PER_PIPELINE }, (_, i) => `  j${i}: {machine: true, steps: [{run: echo ${i}}]}\n`).join('');
  return `version: 2.1\njobs:\n${jobs}workflows:\n  w:\n    jobs: [${Array.from({ length: JOBS_PER_PIPELINE }, (_, i) => `j${i}`).join(', ')}]\n`;
}

const rows: string[][] = [];
const row = (...cells: string[]) => rows.push(cells);

async function queueJobs(url: string, token: string, n: number): Promise<void> {
  for (let i = 0; i < Math.ceil(n / JOBS_PER_PIPELINE); i++) {
    const res = await fetch(`${url}/api/v2/project/gh/acme/scale/pipeline`, { method: 'POST', headers: { 'Circle-Token': token, 'content-type': 'application/json' }, body: '{}' });
    if (res.status !== 201) throw new Error(`trigger: ${res.status} ${await res.text()}`);
  }
}

async function jobsPerSecond(dbUrl: string, replicas: number, agents: number, repo: string): Promise<{ rate: number; raw: number }> {
  const databases: Database[] = [];
  const instances: Instance[] = [];
  const dirs: string[] = [];
  const secrets = createSecretBox(crypto.randomBytes(32));
  try {
    for (let i = 0; i < replicas; i++) {
      const database = await openAndMigrate(dbUrl);
      databases.push(database);
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'circlet-scale-'));
      dirs.push(dataDir);
      instances.push(await createInstance({ database, secrets, dataDir }));
    }
    const db = databases[0]!.db;
    const user = await ensureUser(db, 'bench');
    const org = await ensureOrganization(db, 'github', 'acme');
    await addMember(db, org.id, user.id);
    const token = await createApiToken(db, user.id, 'bench');
    await createProject(db, org, { name: 'scale', vcsUrl: repo, defaultBranch: 'main' });
    const runnerToken = await createRunnerToken(db, 'bench');
    // Queued before the agents start: the figure is running jobs, not triggering pipelines.
    await queueJobs(instances[0]!.url, token, JOBS);
    const fleet = Array.from({ length: agents }, (_, i) => new ScriptedAgent({ url: instances[i % replicas]!.url, token: runnerToken, agentId: `a${i}` }));
    const t0 = performance.now();
    const done = await Promise.all(fleet.map((a) => a.drain(300)));
    const seconds = (performance.now() - t0) / 1000 - 0.3;
    const ran = done.reduce((n, d) => n + d.length, 0);
    if (ran !== Math.ceil(JOBS / JOBS_PER_PIPELINE) * JOBS_PER_PIPELINE) throw new Error(`ran ${ran} jobs`);

    // The floor: the claim statement alone on as many connections, over freshly queued tasks.
    await queueJobs(instances[0]!.url, token, JOBS);
    const pool = new pg.Pool({ connectionString: dbUrl, max: agents });
    let claimed = 0;
    const r0 = performance.now();
    await Promise.all(
      Array.from({ length: agents }, async (_, i) => {
        for (;;) {
          const r = await pool.query(
            `update tasks set status = 'running', agent_id = $1, lease_expires_at = $2, started_at = $2
             where id = (select id from tasks where status = 'queued' and executor = any($3) and resource_class not like '%/%'
                         order by queued_at, id limit 1 for update skip locked) and status = 'queued' returning id`,
            [`raw-${i}`, nowIso(), ['machine']],
          );
          if (r.rows.length === 0) return;
          claimed++;
        }
      }),
    );
    const raw = claimed / ((performance.now() - r0) / 1000);
    await pool.end();
    return { rate: ran / seconds, raw };
  } finally {
    for (const i of instances) await i.close();
    for (const d of databases) await d.close();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  }
}

const devNull = () => new Writable({ write: (_c, _e, cb) => cb() });

async function blobFigures(dbUrl: string): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'circlet-scale-blobs-'));
  const file = path.join(dir, 'payload');
  fs.writeFileSync(file, crypto.randomBytes(MB * 1024 * 1024));
  const s3 = await startS3();
  const database = await openAndMigrate(dbUrl);
  const rate = (ms: number) => `${(MB / (ms / 1000)).toFixed(0)} MB/s`;
  const time = async (fn: () => Promise<unknown>) => {
    const t0 = performance.now();
    await fn();
    return performance.now() - t0;
  };
  try {
    const copy = await time(() => fs.promises.copyFile(file, path.join(dir, 'copy')));
    const bucket = await s3.bucket('bench-scale');
    const s3store = new S3BlobStore({ bucket, endpoint: s3.endpoint, forcePathStyle: true, credentials: S3_CREDENTIALS });
    const sdkPut = await time(() => new Upload({ client: s3store.client, params: { Bucket: bucket, Key: 'raw', Body: fs.createReadStream(file) }, queueSize: 2, partSize: 5 * 1024 * 1024 }).done());
    const stores: [string, BlobStore, string][] = [
      ['filesystem', new FileBlobStore(path.join(dir, 'fs')), `raw file copy ${rate(copy)}`],
      ['postgres (chunked rows)', new DbBlobStore(database.db), `raw file copy ${rate(copy)}`],
      ['s3 (s3rver)', s3store, `raw SDK put ${rate(sdkPut)}`],
    ];
    for (const [name, store, floor] of stores) {
      const up = await time(() => store.put('bench/blob', fs.createReadStream(file)));
      const down = await time(async () => pipeline((await store.get('bench/blob'))!.body, devNull()));
      row(`blob ${name}`, `up ${rate(up)}, down ${rate(down)}`, floor);
    }
    s3store.close();
  } finally {
    await database.close();
    await s3.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const server = benchPostgresUrl();
  if (!server) {
    process.stderr.write('bench:scale needs PostgreSQL: set CIRCLET_BENCH_DATABASE_URL (or CIRCLET_TEST_DATABASE_URL)\n');
    process.exit(2);
  }
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const repo = makeRepo(config());
  try {
    for (const replicas of [1, 2]) {
      for (const agents of [1, 2, 4, 8]) {
        const r = await withFreshPostgres(server, (url) => jobsPerSecond(url, replicas, agents, repo.dir));
        row(`${replicas} replica${replicas > 1 ? 's' : ''}, ${agents} agent${agents > 1 ? 's' : ''}`, `${r.rate.toFixed(1)} jobs/s`, `raw claim ${r.raw.toFixed(0)}/s`);
      }
    }
    await withFreshPostgres(server, (url) => blobFigures(url));
  } finally {
    fs.rmSync(repo.dir, { recursive: true, force: true });
  }
  const width = [0, 1, 2].map((c) => Math.max(...rows.map((r) => r[c]!.length)));
  process.stdout.write(`bench:scale (${JOBS} trivial jobs per cell, ${MB} MB blobs; load ${loadAverage()})\n`);
  for (const r of rows) process.stdout.write(`  ${r.map((c, i) => c.padEnd(width[i]!)).join('   ')}\n`);
}

await main();
