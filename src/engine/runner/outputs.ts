// What a running task leaves behind: artifacts, test results, caches and workspace
// layers. Bytes go to the blob store; rows index them.
import type { Readable } from 'node:stream';
import { newId, nowIso } from '../../domain/clock.ts';
import { putArtifact } from '../../storage/artifacts.ts';
import { cacheExists, insertCache, newestCacheWithPrefix, deleteCaches } from '../../storage/caches.ts';
import { getJob, jobsOfWorkflow, type Job, type Task } from '../../storage/jobs.ts';
import { insertTestResults, recentTimings } from '../../storage/test-results.ts';
import { getWorkflow } from '../../storage/workflows.ts';
import { insertWorkspaceLayer, jobsWithLayers, layersOfJobs } from '../../storage/workspaces.ts';
import type { Requirement } from '../pipeline/advance.ts';
import type { EngineDeps } from '../deps.ts';

export interface TestCase {
  name: string;
  classname?: string;
  file?: string;
  result: string;
  message?: string;
  run_time?: number;
  source?: string;
}

const RESULTS = new Set(['success', 'failure', 'skipped', 'error']);

/** A relative artifact path with no way out of the job's artifacts. */
export function cleanArtifactPath(p: string): string | undefined {
  const parts = p.replace(/\\/g, '/').split('/').filter((s) => s !== '' && s !== '.');
  if (parts.length === 0 || parts.some((s) => s === '..' || /[\0]/.test(s))) return undefined;
  return parts.join('/');
}

function encodeSegment(s: string): string {
  return Buffer.from(s, 'utf8').toString('hex');
}

export async function saveArtifact(deps: EngineDeps, task: Task, artifactPath: string, body: Readable): Promise<{ path: string; size: number }> {
  const clean = cleanArtifactPath(artifactPath);
  if (!clean) throw new Error(`invalid artifact path: ${artifactPath}`);
  const blobKey = `artifacts/${task.job_id}/${task.node_index}/${newId()}`;
  const size = await deps.blobs.put(blobKey, body);
  await putArtifact(deps.database.db, { id: newId(), job_id: task.job_id, node_index: task.node_index, path: clean, size, blob_key: blobKey, created_at: nowIso(deps.now()) });
  return { path: clean, size };
}

export async function saveTestResults(deps: EngineDeps, task: Task, tests: TestCase[]): Promise<number> {
  const job = (await getJob(deps.database.db, task.job_id))!;
  const now = nowIso(deps.now());
  await insertTestResults(
    deps.database.db,
    tests.map((t) => ({
      id: newId(),
      project_id: job.project_id,
      job_id: job.id,
      node_index: task.node_index,
      name: t.name,
      classname: t.classname ?? '',
      file: t.file ?? '',
      result: RESULTS.has(t.result) ? t.result : 'failure',
      message: t.message ?? '',
      run_time: Number.isFinite(t.run_time) ? Number(t.run_time) : 0,
      source: t.source ?? '',
      created_at: now,
    })),
  );
  return tests.length;
}

/** The first key (in order) with a prefix match, newest first, as restore_cache looks up. */
export async function findCache(deps: EngineDeps, task: Task, keys: string[]): Promise<{ key: string; blob_key: string; size: number } | undefined> {
  const job = (await getJob(deps.database.db, task.job_id))!;
  for (const k of keys) {
    if (k === '') continue;
    const found = await newestCacheWithPrefix(deps.database.db, job.project_id, k);
    if (found) return found;
  }
  return undefined;
}

/** Saves a cache unless its key exists; an existing key is never overwritten. */
export async function saveCache(deps: EngineDeps, task: Task, key: string, body: Readable): Promise<'saved' | 'exists'> {
  const job = (await getJob(deps.database.db, task.job_id))!;
  if (await cacheExists(deps.database.db, job.project_id, key)) {
    body.resume();
    return 'exists';
  }
  const blobKey = `caches/${job.project_id}/${encodeSegment(key).slice(0, 200)}-${newId()}`;
  const size = await deps.blobs.put(blobKey, body);
  const inserted = await insertCache(deps.database.db, { project_id: job.project_id, key, blob_key: blobKey, size, created_at: nowIso(deps.now()) });
  if (!inserted) {
    await deps.blobs.deletePrefix(blobKey);
    return 'exists';
  }
  return 'saved';
}

/** Empties a project's caches (`DELETE …/build-cache`). */
export async function clearProjectCaches(deps: EngineDeps, projectId: string): Promise<number> {
  const removed = await deleteCaches(deps.database.db, projectId);
  await deps.blobs.deletePrefix(`caches/${projectId}/`);
  return removed.length;
}

async function workspaceIdOf(deps: EngineDeps, job: Job): Promise<string> {
  const wf = (await getWorkflow(deps.database.db, job.workflow_id))!;
  return wf.rerun_of ?? wf.id;
}

export async function saveWorkspaceLayer(deps: EngineDeps, task: Task, body: Readable): Promise<number> {
  const job = (await getJob(deps.database.db, task.job_id))!;
  const workspaceId = await workspaceIdOf(deps, job);
  const blobKey = `workspaces/${workspaceId}/${newId()}`;
  const size = await deps.blobs.put(blobKey, body);
  await insertWorkspaceLayer(deps.database.db, {
    id: newId(),
    workspace_id: workspaceId,
    job_id: job.id,
    job_name: job.name,
    node_index: task.node_index,
    blob_key: blobKey,
    size,
    created_at: nowIso(deps.now()),
  });
  return size;
}

/** Names of every job upstream of `job` in its workflow (transitively). */
export function upstreamNames(jobs: Pick<Job, 'id' | 'name' | 'requires'>[], jobId: string): Set<string> {
  const byId = new Map(jobs.map((j) => [j.id, j]));
  const seen = new Set<string>();
  const stack = [jobId];
  const names = new Set<string>();
  while (stack.length > 0) {
    const cur = byId.get(stack.pop()!);
    if (!cur) continue;
    for (const r of JSON.parse(cur.requires) as Requirement[]) {
      if (seen.has(r.job_id)) continue;
      seen.add(r.job_id);
      names.add(r.name);
      stack.push(r.job_id);
    }
  }
  return names;
}

/**
 * The workspace layers a job may attach: those saved by jobs upstream of it in its
 * workflow (across reruns of that workflow), oldest first so later layers win.
 */
export async function workspaceLayersFor(deps: EngineDeps, task: Task): Promise<{ id: string; job_name: string; size: number; blob_key: string }[]> {
  const db = deps.database.db;
  const job = (await getJob(db, task.job_id))!;
  const workspaceId = await workspaceIdOf(deps, job);
  const names = upstreamNames(await jobsOfWorkflow(db, job.workflow_id), job.id);
  if (names.size === 0) return [];
  return layersOfJobs(db, workspaceId, await jobsWithLayers(db, workspaceId, [...names]));
}

/**
 * Stored timings for `circleci tests split --split-by=timings`, without the job's own: nodes
 * of one job that start at different times must split the same way, and results its
 * finished nodes just stored would change the split for the later nodes.
 */
export async function timingsFor(deps: EngineDeps, task: Task): Promise<{ file: string; classname: string; name: string; run_time: number }[]> {
  const job = (await getJob(deps.database.db, task.job_id))!;
  return recentTimings(deps.database.db, job.project_id, undefined, undefined, job.id);
}
