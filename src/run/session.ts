// `circlet run`: one pipeline of the current repository on a throw-away instance, followed
// until its workflows end, with approvals decided here and Ctrl-C cancelling what runs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from '../agent/logger.ts';
import { collectOutputs, keepState } from './collect.ts';
import type { Reporter, RunEvent, RunPhases } from './events.ts';
import { startLocalInstance, type LocalInstance } from './instance.ts';
import { prepareRun, type PrepareOptions } from './prepare.ts';
import { cacheHome } from './local-state.ts';
import { seedStore } from '../storage/local-run.ts';
import { UsageError } from './select.ts';
import { PipelineWatcher } from './watch.ts';
import { pingEngine } from '../executor/choose.ts';

export interface RunOptions extends PrepareOptions {
  env: NodeJS.ProcessEnv;
  secrets: Record<string, string>;
  contexts: Record<string, Record<string, string>>;
  executor: 'auto' | 'docker' | 'host';
  parallel: number;
  approve: 'yes' | 'no' | 'prompt';
  /** Asks whether to approve a job (a terminal prompt). */
  prompt?: (question: string) => Promise<boolean>;
  keepGoing: boolean;
  clearCache: boolean;
  reporter: Reporter;
  /** Aborted on Ctrl-C: running jobs are cancelled. */
  signal: AbortSignal;
  logger?: Logger;
  pollMs?: number;
}

export const EXIT = { success: 0, failed: 1, usage: 2, interrupted: 130 } as const;
const FAILED = new Set(['failed', 'infrastructure_fail', 'timedout']);

async function dockerOnHost(mode: RunOptions['executor']): Promise<boolean> {
  if (mode === 'host') return true;
  const ping = await pingEngine(undefined, 1_500);
  if (ping.ok) return false;
  if (mode === 'docker') throw new UsageError(`--docker: no Docker engine answers (${ping.reason})`);
  return true;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });

/**
 * Removes the run's temp dir. The agent tears a job's work dir down after it reported the job
 * finished, so a teardown may still be writing there: try again shortly. (fs.promises.rm, not
 * rmSync: its unlinks run side by side on libuv's threads, a few times faster on this disk.)
 */
async function removeDir(dir: string): Promise<void> {
  for (let i = 0; i < 5; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 100));
    try {
      await fs.promises.rm(dir, { recursive: true, force: true });
    } catch {
      /* a file appeared while removing */
    }
    if (!fs.existsSync(dir)) return;
  }
}

/** Times the run's phases (RunPhases): each mark ends the phase it names. */
function phaseClock() {
  const phases: RunPhases = { startup: Math.round(performance.now()), prepare: 0, store: 0, trigger: 0, jobs: 0, finish: 0 };
  let last = performance.now();
  return {
    mark(phase: Exclude<keyof RunPhases, 'startup'>) {
      const now = performance.now();
      phases[phase] = Math.round(now - last);
      last = now;
    },
    done: () => phases,
  };
}

/** Runs the pipeline; returns the exit code. Config and usage errors are thrown. */
export async function runLocal(opts: RunOptions): Promise<number> {
  const started = Date.now();
  const phases = phaseClock();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'circlet-run-'));
  let instance: LocalInstance | undefined;
  const emit = (e: RunEvent) => opts.reporter.event(e);
  try {
    const prep = await prepareRun(opts, path.join(tmp, 'source.git'));
    if (opts.clearCache) prep.state.clearCaches();
    phases.mark('prepare');
    instance = await startLocalInstance({
      dataDir: path.join(tmp, 'data'),
      cacheBlobsDir: prep.state.blobsDir,
      templateDir: path.join(cacheHome(opts.env), 'store'),
      orbSource: opts.orbSource,
      concurrency: opts.parallel,
      dockerOnHost: await dockerOnHost(opts.executor),
      logger: opts.logger ?? { info() {}, warn() {}, error() {} },
    });
    phases.mark('store');
    const { project, userId } = await seedStore(instance.database.db, instance.secrets, {
      projectId: prep.state.projectId,
      name: path.basename(prep.repo.root),
      vcsUrl: prep.snapshot.url,
      defaultBranch: prep.branch ?? 'main',
      env: opts.secrets,
      contexts: opts.contexts,
      caches: prep.state.caches(),
      timings: prep.state.timings(),
      pipelineNumber: prep.number,
    });
    const { pipeline } = await instance.engine.trigger({
      project,
      actorId: userId,
      triggerType: 'api',
      branch: prep.branch,
      tag: prep.tag,
      revision: prep.snapshot.revision,
      parameters: prep.parameters,
      configContent: prep.configContent,
    });
    if (pipeline.state === 'errored') {
      const errors = (JSON.parse(pipeline.errors) as { message: string }[]).map((e) => e.message).join('\n');
      throw new UsageError(`the pipeline could not start:\n${errors}`);
    }
    const watcher = new PipelineWatcher(instance.database, pipeline.id, emit);
    await watcher.load();
    phases.mark('trigger');
    if (watcher.workflows.length === 0) {
      const ref = prep.tag ? `tag ${prep.tag}` : `branch ${prep.branch}`;
      throw new UsageError(`no workflow runs on ${ref}: the filters and when of the config exclude every one (name a workflow, or use --branch / --tag)`);
    }
    emit({
      type: 'run_started',
      pipeline: prep.number,
      branch: prep.branch ?? null,
      tag: prep.tag ?? null,
      revision: prep.snapshot.revision,
      working_tree: opts.workingTree,
      dirty: prep.snapshot.dirty,
      workflows: watcher.workflows.map((w) => ({
        name: w.name,
        jobs: watcher.jobs.filter((j) => j.workflow_id === w.id).map((j) => ({ name: j.name, type: j.type, requires: (JSON.parse(j.requires) as { name: string }[]).map((r) => r.name) })),
      })),
    });
    let outcome: 'success' | 'failed' | 'stopped' | 'canceled' | undefined;
    let cancelled = false;
    const cancelAll = async () => {
      for (const wf of watcher.workflows) await instance!.engine.cancelWorkflow(wf.id, userId).catch(() => undefined);
    };
    const decided = new Set<string>();
    let cancelDeadline = 0;
    const changes = instance.engine.watchJobs();
    let lastLook = Date.now();
    for (;;) {
      await watcher.tick();
      if (opts.signal.aborted && !cancelled) {
        cancelled = true;
        outcome = 'canceled';
        cancelDeadline = Date.now() + 15_000;
        await cancelAll();
        continue;
      }
      if (watcher.done || (cancelled && Date.now() > cancelDeadline)) break;
      if (!cancelled && !opts.keepGoing && watcher.jobs.some((j) => FAILED.has(j.status))) {
        // Fail fast: what has not finished is cancelled (dependants are already not_run).
        cancelled = true;
        cancelDeadline = Date.now() + 15_000;
        await cancelAll();
        continue;
      }
      for (const { workflow, job } of cancelled ? [] : watcher.onHold()) {
        if (decided.has(job.id)) continue;
        decided.add(job.id);
        const yes = opts.approve === 'yes' || (opts.approve === 'prompt' && opts.prompt ? await opts.prompt(`approve ${workflow.name}/${job.name}?`) : false);
        emit({ type: 'approval', workflow: workflow.name, job: job.name, decision: yes ? 'approved' : 'stopped' });
        if (yes) await instance.engine.approve(workflow.id, job.approval_request_id ?? job.id, userId);
        else {
          outcome = 'stopped';
          await instance.engine.cancelWorkflow(workflow.id, userId);
        }
      }
      // The next look: when a job's steps, output or status change, at the latest after pollMs
      // (and not sooner than 10 ms after the last, so a chatty job is read in batches).
      const since = Date.now() - lastLook;
      if (since < 10) await sleep(10 - since, opts.signal);
      await changes.wait(opts.pollMs ?? 50, opts.signal.aborted ? undefined : opts.signal);
      lastLook = Date.now();
    }
    changes.close();
    await watcher.tick();
    phases.mark('jobs');
    const statuses = watcher.workflows.map((w) => w.status);
    if (!outcome) outcome = statuses.every((s) => s === 'success') ? 'success' : 'failed';
    if (outcome === 'canceled' && !opts.signal.aborted) outcome = 'failed';
    const names = new Map(watcher.workflows.map((w) => [w.id, w.name]));
    const summary = await collectOutputs(instance.database, instance.engine.blobs, watcher.jobs, (id) => names.get(id) ?? '', prep.out);
    await keepState(instance.database, project.id, pipeline.id, prep.state);
    const exit = outcome === 'success' ? EXIT.success : outcome === 'canceled' ? EXIT.interrupted : EXIT.failed;
    phases.mark('finish');
    emit({ type: 'run_ended', status: outcome, exit_code: exit, ms: Date.now() - started, out: prep.out, summary, phases: phases.done() });
    return exit;
  } finally {
    await instance?.close(1_000).catch(() => undefined);
    await removeDir(tmp);
  }
}
