// Backup and restore timings for a data dir of 10,000 pipelines, beside a raw file copy of
// the same data dir (the floor: `cp -r` of the directory, no consistency, no checks).
//
//   npm run bench:backup
//   BENCH_PIPELINES=2000 npm run bench:backup
//
// Seeds a fresh SQLite data dir (10,000 pipelines, each with a workflow, two jobs, tasks,
// steps with output, and one 2 KiB artifact blob), then, while another connection keeps
// writing (as a running server would), times backup() (online backup + blobs + key +
// manifest) and restore() (checksum, integrity check, blobs, key) against fs.cpSync of the
// data dir. Prints the three figures and the sizes.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { newId, nowIso } from '../src/domain/clock.ts';
import { createSecretBox, loadSecretKey } from '../src/domain/secret-box.ts';
import { recordAudit } from '../src/engine/services/audit.ts';
import { backup } from '../src/server/backup.ts';
import { restore } from '../src/server/restore.ts';
import { openAndMigrate, openDatabase } from '../src/storage/db.ts';
import { loadAverage } from './lib.ts';

const PIPELINES = Number(process.env.BENCH_PIPELINES ?? 10_000);
const PROJECTS = 10;
const CONFIG = 'version: 2.1\njobs:\n' + Array.from({ length: 20 }, (_, i) => `  job-${i}:\n    docker: [{image: cimg/base:stable}]\n    steps: [checkout, {run: make test-${i}}]\n`).join('');

const batches = <T>(rows: T[], size: number): T[][] => Array.from({ length: Math.ceil(rows.length / size) }, (_, i) => rows.slice(i * size, (i + 1) * size));

async function seed(dataDir: string): Promise<void> {
  const database = await openAndMigrate(path.join(dataDir, 'circlet.db'));
  const box = createSecretBox(loadSecretKey(dataDir, {}));
  const at = nowIso();
  const org = { id: newId(), vcs_type: 'github', name: 'acme', created_at: at };
  const projects = Array.from({ length: PROJECTS }, (_, i) => ({ id: newId(), organization_id: org.id, name: `repo-${i}`, vcs_url: `https://example.invalid/r${i}`, default_branch: 'main', settings: '{}', created_at: at }));
  const blobRoot = path.join(dataDir, 'blobs');
  await database.db.transaction().execute(async (trx) => {
    await trx.insertInto('organizations').values(org).execute();
    await trx.insertInto('projects').values(projects).execute();
    await trx.insertInto('project_env_vars').values(projects.map((p) => ({ project_id: p.id, name: 'SECRET', value_sealed: box.seal('value'), created_at: at }))).execute();
    for (const chunk of batches(Array.from({ length: PIPELINES }, (_, i) => i), 250)) {
      const pipelines = [], workflows = [], jobs = [], tasks = [], steps = [], output = [], artifacts = [];
      for (const i of chunk) {
        const project = projects[i % PROJECTS]!;
        const p = { id: newId(), project_id: project.id, number: Math.floor(i / PROJECTS) + 1, state: 'created' as const, trigger_type: 'api', trigger_actor_id: null, trigger_received_at: at, branch: 'main', tag: null, revision: crypto.randomBytes(20).toString('hex'), vcs: '{}', parameters: '{}', trigger_parameters: '{}', pipeline_values: '{}', errors: '[]', source_config: CONFIG, compiled_config: CONFIG, setup_config: '', compiled_setup_config: '', continuation_key_hash: null, continuation_state: null, created_at: at, updated_at: at };
        const w = { id: newId(), pipeline_id: p.id, project_id: project.id, name: 'main', status: 'success' as const, tag: null, started_by: 'bench', canceled_by: null, errored_by: null, rerun_of: null, created_at: at, stopped_at: at };
        pipelines.push(p);
        workflows.push(w);
        for (const n of [0, 1]) {
          const j = { id: newId(), workflow_id: w.id, pipeline_id: p.id, project_id: project.id, name: `job-${n}`, type: 'build', status: 'success' as const, number: p.number * 2 + n, requires: '[]', config: '{}', contexts: '[]', executor: 'docker', resource_class: 'medium', parallelism: 1, approval_request_id: null, approved_by: null, canceled_by: null, messages: '[]', created_at: at, queued_at: at, started_at: at, stopped_at: at };
          const t = { id: newId(), job_id: j.id, node_index: 0, status: 'success' as const, resource_class: 'medium', executor: 'docker', agent_id: null, lease_expires_at: null, cancel_requested: 0, queued_at: at, started_at: at, stopped_at: at, message: null };
          jobs.push(j);
          tasks.push(t);
          steps.push({ task_id: t.id, step_index: 0, name: 'make test', type: 'run', status: 'success' as const, exit_code: 0, started_at: at, stopped_at: at, output_bytes: 1024, truncated: 0 });
          output.push({ task_id: t.id, step_index: 0, seq: 0, stream: 'out', data: 'ok '.repeat(340), at });
          if (n === 0) {
            const key = `artifacts/${j.id}/0/report.txt`;
            fs.mkdirSync(path.join(blobRoot, path.dirname(key)), { recursive: true });
            fs.writeFileSync(path.join(blobRoot, key), crypto.randomBytes(1024).toString('hex'));
            artifacts.push({ id: newId(), job_id: j.id, node_index: 0, path: 'report.txt', size: 2048, blob_key: key, created_at: at });
          }
        }
      }
      await trx.insertInto('pipelines').values(pipelines).execute();
      await trx.insertInto('workflows').values(workflows).execute();
      for (const b of batches(jobs, 200)) await trx.insertInto('jobs').values(b).execute();
      for (const b of batches(tasks, 400)) await trx.insertInto('tasks').values(b).execute();
      for (const b of batches(steps, 400)) await trx.insertInto('steps').values(b).execute();
      for (const b of batches(output, 400)) await trx.insertInto('step_output').values(b).execute();
      for (const b of batches(artifacts, 400)) await trx.insertInto('artifacts').values(b).execute();
    }
  });
  await database.close();
}

function duSize(dir: string): number {
  let n = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) n += fs.statSync(path.join(e.parentPath, e.name)).size;
  return n;
}

const ms = (t0: number) => Math.round(performance.now() - t0);
const mb = (n: number) => (n / 1048576).toFixed(1) + ' MiB';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'circlet-bench-backup-'));
try {
  const dataDir = path.join(root, 'data');
  fs.mkdirSync(dataDir);
  let t0 = performance.now();
  await seed(dataDir);
  console.log(`seeded ${PIPELINES} pipelines in ${ms(t0)} ms: ${mb(duSize(dataDir))} (load ${loadAverage()})`);

  // The floor: a raw copy of the data dir.
  t0 = performance.now();
  fs.cpSync(dataDir, path.join(root, 'raw-copy'), { recursive: true });
  const floor = ms(t0);

  // Backup while another connection writes, as a running server does.
  const writer = openDatabase(path.join(dataDir, 'circlet.db'));
  let writes = 0;
  let writing = true;
  const writeLoop = (async () => {
    while (writing) {
      await recordAudit(writer.db, { id: null, login: null, source: 'server' }, { action: 'user.created', target: { type: 'user', name: `w${writes}` } });
      writes++;
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  t0 = performance.now();
  const result = await backup(path.join(root, 'backup'), { dataDir, env: {} });
  const backupMs = ms(t0);
  writing = false;
  await writeLoop;
  await writer.close();

  t0 = performance.now();
  await restore(path.join(root, 'backup'), { dataDir: path.join(root, 'restored') });
  const restoreMs = ms(t0);

  const check = openDatabase(path.join(root, 'restored', 'circlet.db'));
  const restored = Number((await check.db.selectFrom('pipelines').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  await check.close();
  if (restored !== PIPELINES) throw new Error(`restored ${restored} pipelines, expected ${PIPELINES}`);

  console.log(`backup:  ${backupMs} ms (${result.manifest.blobs.count} blobs, ${mb(duSize(path.join(root, 'backup')))}; ${writes} writes by another connection meanwhile)`);
  console.log(`restore: ${restoreMs} ms (${restored} pipelines read back)`);
  console.log(`floor:   ${floor} ms (raw copy of the data dir, fs.cpSync)`);
  console.log(`ratio:   backup ${(backupMs / floor).toFixed(2)}× floor, restore ${(restoreMs / floor).toFixed(2)}× floor (load ${loadAverage()})`);
} finally {
  fs.rmSync(root, { recursive: true, force: true });
}
