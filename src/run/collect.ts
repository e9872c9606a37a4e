// After a local run: each job's artifacts, test results and step output land in
// `<out>/<workflow>/<job>/`, and the caches and test timings it saved are kept for the
// next run (LocalState).
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { BlobStore } from '../storage/blob-store.ts';
import type { Database } from '../storage/db.ts';
import type { Job } from '../storage/jobs.ts';
import { allArtifactsOfJob, allTestResultsOfJob, cachesOfProject, stepsWithOutput, taskNodesOfJob, timingsOfPipeline } from '../storage/local-run.ts';
import type { JobSummary } from './events.ts';
import type { LocalState } from './local-state.ts';

/** A name safe as one path segment. */
export function segment(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^\.+/, '_') || '_';
}

async function writeLogs(database: Database, taskIds: { id: string; node: number }[], dir: string, parallel: boolean): Promise<void> {
  for (const t of taskIds) {
    const { steps, chunks } = await stepsWithOutput(database.db, t.id);
    let text = '';
    for (const s of steps) {
      text += `==> ${s.name} (${s.status}${s.exit_code !== null ? `, exit ${s.exit_code}` : ''})\n`;
      text += chunks
        .filter((c) => c.step_index === s.step_index)
        .map((c) => c.data)
        .join('');
      if (!text.endsWith('\n')) text += '\n';
    }
    fs.writeFileSync(path.join(dir, parallel ? `output-${t.node}.log` : 'output.log'), text);
  }
}

/** Copies what every job left into `out`; returns one summary per job. */
export async function collectOutputs(database: Database, blobs: BlobStore, jobs: Job[], workflowName: (id: string) => string, out: string): Promise<JobSummary[]> {
  const db = database.db;
  const summaries: JobSummary[] = [];
  for (const job of jobs) {
    const workflow = workflowName(job.workflow_id);
    const dir = path.join(out, segment(workflow), segment(job.name));
    const summary: JobSummary = { workflow, job: job.name, status: job.status, ms: job.started_at && job.stopped_at ? Date.parse(job.stopped_at) - Date.parse(job.started_at) : 0, tests: { total: 0, failed: 0, skipped: 0 }, artifacts: 0, dir };
    summaries.push(summary);
    if (job.type !== 'build') continue;
    const tasks = await taskNodesOfJob(db, job.id);
    if (tasks.length === 0) continue;
    fs.mkdirSync(dir, { recursive: true });
    await writeLogs(database, tasks.map((t) => ({ id: t.id, node: t.node_index })), dir, job.parallelism > 1);
    for (const a of await allArtifactsOfJob(db, job.id)) {
      const blob = await blobs.get(a.blob_key);
      if (!blob) continue;
      const target = path.join(dir, 'artifacts', ...(job.parallelism > 1 ? [String(a.node_index)] : []), ...a.path.split('/'));
      fs.mkdirSync(path.dirname(target), { recursive: true });
      await pipeline(blob.body, fs.createWriteStream(target));
      summary.artifacts++;
    }
    const tests = await allTestResultsOfJob(db, job.id);
    if (tests.length > 0) {
      fs.writeFileSync(path.join(dir, 'test-results.json'), JSON.stringify(tests, null, 2) + '\n');
      summary.tests = { total: tests.length, failed: tests.filter((t) => t.result === 'failure' || t.result === 'error').length, skipped: tests.filter((t) => t.result === 'skipped').length };
    }
  }
  return summaries;
}

/** Keeps this run's caches and test timings for the next run. */
export async function keepState(database: Database, projectId: string, pipelineId: string, state: LocalState): Promise<void> {
  const db = database.db;
  const caches = await cachesOfProject(db, projectId);
  state.saveCaches(caches);
  const timings = await timingsOfPipeline(db, pipelineId);
  if (timings.length > 0) state.addTimings(timings);
}
