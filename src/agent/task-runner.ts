// Runs one claimed task: secrets, a fresh workspace, the job's steps in order (with
// `when`, `background` and `circleci-agent step halt`), output streamed and masked, a
// cancellation watcher that also keeps the lease alive, and the final report.
import { stepType } from '../config/compiled.ts';
import type { Executor, Workspace } from '../executor/types.ts';
import { isLeaseLost, type RunnerClient, type TaskPayload, type TaskResult, type TaskSecrets } from './client.ts';
import { runCommand } from './command.ts';
import { composeEnv } from './env.ts';
import type { Logger } from './logger.ts';
import { Masker } from './masker.ts';
import { StepOutput } from './output.ts';
import { installTimings } from './outputs-client.ts';
import { runStep, stepTitle } from './steps/index.ts';
import { splitShell, type StepContext, type StepOutcome } from './steps/types.ts';

export interface TaskRunnerDeps {
  client: RunnerClient;
  executor: Executor;
  /** Executables for the job's bin dir (the `circleci` helper). */
  tools: Record<string, string>;
  logger: Logger;
  /** Output batching (tests shorten these). */
  output?: { flushMs?: number; maxBytes?: number; partialMs?: number; alloc?: (size: number) => Buffer };
  /** Where `checkout` fetches from: the server's mirror (default) or the project's origin. */
  checkoutFrom?: 'server' | 'origin';
}

type StopReason = 'cancel' | 'lease' | 'shutdown';

/** The file `circleci-agent step halt` creates (below CIRCLE_INTERNAL_TASK_DATA). */
export const HALT_FILE = 'halt';
/** Where the in-job `circleci` helper finds the server and this task's credential (below CIRCLE_INTERNAL_TASK_DATA). */
export const JOB_API_FILE = 'job-api.json';

export class TaskRun {
  private readonly stopper = new AbortController();
  private stopReason: StopReason | undefined;
  private stopMessage: string | undefined;
  private ws: Workspace | undefined;
  private readonly watchAbort = new AbortController();
  /** Step reports still on their way to the server. */
  private readonly reports = new Set<Promise<void>>();
  /**
   * The last step's end report (background steps aside): the next step's start is reported
   * after it, so the server records steps in their order (a step is never seen ended while the
   * one before it still runs). The commands do not wait for it.
   */
  private previousEnd: Promise<void> = Promise.resolve();
  readonly done: Promise<TaskResult | undefined>;

  constructor(
    private readonly deps: TaskRunnerDeps,
    readonly payload: TaskPayload,
  ) {
    this.done = this.run();
  }

  get id(): string {
    return this.payload.task.id;
  }

  /** Stops the job: its processes are killed and it ends as canceled / infrastructure_fail. */
  stop(reason: StopReason, message?: string): void {
    if (this.stopReason) return;
    this.stopReason = reason;
    this.stopMessage = message;
    this.stopper.abort(new Error(reason));
    if (this.ws) void this.deps.executor.killAll(this.ws, 300).catch(() => undefined);
  }

  private async watch(): Promise<void> {
    const { client } = this.deps;
    const waitMs = Math.max(1_000, Math.min(20_000, Math.floor(this.payload.task.lease_ms / 2)));
    let failures = 0;
    while (!this.watchAbort.signal.aborted) {
      try {
        const r = await client.cancellation(this.id, waitMs, this.watchAbort.signal);
        failures = 0;
        if (r?.cancel) {
          this.stop('cancel');
          return;
        }
      } catch (err) {
        if (this.watchAbort.signal.aborted) return;
        if (isLeaseLost(err)) {
          this.deps.logger.warn({ task: this.id }, 'lease lost: stopping the job');
          this.stop('lease');
          return;
        }
        failures++;
        this.deps.logger.warn({ task: this.id, err: String(err) }, 'cancellation poll failed; retrying');
        await new Promise((r) => setTimeout(r, Math.min(2_000, 100 * 2 ** failures)));
      }
    }
  }

  private async run(): Promise<TaskResult | undefined> {
    const { client, logger } = this.deps;
    const watcher = this.watch();
    let result: TaskResult = 'infrastructure_fail';
    let message: string | undefined;
    try {
      ({ result, message } = await this.execute());
    } catch (err) {
      if (isLeaseLost(err)) this.stopReason ??= 'lease';
      result = 'infrastructure_fail';
      message = `The agent could not run this job: ${err instanceof Error ? err.message : String(err)}`;
      logger.error({ task: this.id, err: String(err) }, 'task failed in the agent');
    } finally {
      if (this.ws) {
        const ws = this.ws;
        await this.deps.executor.cleanup(ws).catch((err) => logger.warn({ task: this.id, err: String(err) }, 'workspace cleanup failed'));
      }
    }
    if (this.stopReason === 'cancel') result = 'canceled';
    if (this.stopReason === 'shutdown') {
      result = 'infrastructure_fail';
      message = this.stopMessage ?? 'The agent was shut down before this job finished.';
    }
    while (this.reports.size > 0) await Promise.all(this.reports);
    this.watchAbort.abort();
    await watcher;
    if (this.stopReason === 'lease') {
      logger.warn({ task: this.id }, 'not reporting: the server gave this task up (lease lost)');
      client.forget(this.id);
      return undefined;
    }
    try {
      await client.complete(this.id, result, message);
    } catch (err) {
      // A retried completion whose first attempt landed answers 409: the result is stored.
      if (!isLeaseLost(err)) logger.error({ task: this.id, err: String(err) }, 'could not report the result');
    } finally {
      client.forget(this.id);
    }
    logger.info({ task: this.id, job: this.payload.job.name, result }, 'job finished');
    return result;
  }

  private async execute(): Promise<{ result: TaskResult; message?: string }> {
    const { client, executor } = this.deps;
    const { payload } = this;
    const job = payload.job.config;
    const secrets: TaskSecrets = await client.secrets(this.id);
    const masker = new Masker([...Object.values(secrets.environment), ...(secrets.checkout_key ? [secrets.checkout_key] : []), ...(secrets.ssh_keys ?? []).map((k) => k.private_key), this.payload.task.credential]);
    let index = 0;

    // Step 0: the environment. Failures here are the agent's, not the job's.
    const spinUp = await this.openStep(index++, 'Spin up environment', 'spin_up', masker);
    let ws: Workspace;
    try {
      if (!executor.kinds.includes(payload.job.executor)) throw new Error(`this agent does not run ${payload.job.executor} jobs`);
      if (job?.kind !== 'build') throw new Error('the server sent a job in a form this agent does not read (are server and agent the same version?)');
      ws = this.ws = await executor.prepare({ id: this.id, executor: job.executor, resourceClass: job.resource_class, tools: this.deps.tools });
      if (this.stopReason) await executor.killAll(ws, 0);
    } catch (err) {
      spinUp.out.write('err', `circlet: could not set up the job: ${err instanceof Error ? err.message : String(err)}\n`);
      await this.closeStep(spinUp, { status: 'failed', exitCode: null });
      return { result: 'infrastructure_fail', message: `Could not set up the job: ${err instanceof Error ? err.message : String(err)}` };
    }
    for (const note of ws.notes) spinUp.out.write('out', note + '\n');
    const container = job.executor.kind === 'docker' ? (job.executor.images[0]?.environment ?? {}) : {};
    const env = composeEnv({
      base: ws.baseEnv,
      secrets: secrets.environment,
      builtIn: { ...payload.environment, CIRCLE_INTERNAL_TASK_DATA: ws.internalDir },
      container,
      job: job.environment,
    });
    const workingDirectory = executor.resolvePath(ws, job.working_directory ?? '~/project');
    const shell = job.shell ? splitShell(job.shell) : ws.defaultShell;
    await executor.mkdir(ws, workingDirectory);
    spinUp.out.write('out', `Working directory: ${workingDirectory}\nShell: ${shell.join(' ')}\n`);
    // `circleci run oidc get` / `circleci run release` call the server as this task (http/runner/job.ts).
    const jobApi = { url: `${client.serverUrl}/api/runner/v1/job`, task_id: payload.task.id, credential: payload.task.credential };
    await executor.writeFile(ws, `${ws.internalDir}/${JOB_API_FILE}`, JSON.stringify(jobApi), 0o600);
    const timings = await installTimings(client, payload, executor, ws, this.stopper.signal);
    if (timings) spinUp.out.write('out', timings + '\n');
    this.endStepLater(spinUp, { status: 'success', exitCode: 0 });

    let failed = false;
    let timedOut = false;
    const background: Promise<void>[] = [];
    let ending = false;
    for (const s of job.steps) {
      if (this.stopReason) break;
      if (s.when === 'on_success' && failed) continue;
      if (s.when === 'on_fail' && !failed) continue;
      const type = stepType(s);
      const step = await this.openStep(index++, stepTitle(s), type, masker);
      const ctx = this.context(ws, env, workingDirectory, shell, secrets, step.out);
      const running = runStep(ctx, s).catch((err): StepOutcome => {
        step.out.write('err', `circlet: the ${type} step failed in the agent: ${err instanceof Error ? err.message : String(err)}\n`);
        return { status: 'failed', exitCode: null };
      });
      if ((s.kind === 'run' || s.kind === 'deploy') && s.background) {
        // Runs alongside the next steps; killed when the job ends. Its exit does not fail the job.
        // A background step still running when the job ends is stopped, not failed.
        background.push(running.then((o) => this.closeStep(step, ending && o.status === 'failed' ? { status: 'success', exitCode: o.exitCode } : o)));
        continue;
      }
      const outcome = await running;
      if (outcome.status !== 'success') failed = true;
      if (outcome.status === 'timedout') timedOut = true;
      const halted = !failed && (await executor.readFile(ws, `${ws.internalDir}/${HALT_FILE}`)) !== undefined;
      if (halted) step.out.write('out', 'circlet: the job was halted by circleci-agent step halt\n');
      this.endStepLater(step, outcome);
      if (halted) break;
    }
    if (background.length > 0) {
      ending = true;
      await executor.killAll(ws, 300);
      await Promise.all(background);
    }
    if (this.stopReason === 'cancel') return { result: 'canceled' };
    if (this.stopReason) return { result: 'infrastructure_fail' };
    return { result: timedOut ? 'timedout' : failed ? 'failed' : 'success' };
  }

  private async openStep(index: number, name: string, type: string, masker: Masker): Promise<{ index: number; started: Promise<void>; out: StepOutput }> {
    const { client } = this.deps;
    // Not awaited here: the step's command starts while the server records the step;
    // output waits for it.
    const started = this.previousEnd.then(() => client.startStep(this.id, index, name.slice(0, 1000), type));
    started.catch((err) => this.onReportError(err));
    const out = new StepOutput({
      masker,
      ...this.deps.output,
      send: async (c) => {
        await started;
        await client.output(this.id, index, c.seq, c.stream, c.data);
      },
      onError: (err) => this.onReportError(err),
    });
    return { index, started, out };
  }

  /**
   * Ends a step without waiting for the server: the next step starts at once (step reports
   * are off the critical path; per step they stay ordered start → output → end). The task's
   * completion waits for all of them.
   */
  private endStepLater(step: { index: number; started: Promise<void>; out: StepOutput }, outcome: StepOutcome): void {
    const p: Promise<void> = this.closeStep(step, outcome).finally(() => this.reports.delete(p));
    this.reports.add(p);
    this.previousEnd = p;
  }

  private async closeStep(step: { index: number; started: Promise<void>; out: StepOutput }, outcome: StepOutcome): Promise<void> {
    await step.out.close();
    try {
      await step.started;
      await this.deps.client.endStep(this.id, step.index, outcome.status, outcome.exitCode);
    } catch (err) {
      this.onReportError(err);
    }
  }

  private onReportError(err: unknown): void {
    if (isLeaseLost(err)) this.stop('lease');
    else this.deps.logger.warn({ task: this.id, err: String(err) }, 'could not report step progress');
  }

  private context(ws: Workspace, env: Record<string, string>, workingDirectory: string, shell: string[], secrets: TaskSecrets, out: StepOutput): StepContext {
    const { executor, client } = this.deps;
    const signal = this.stopper.signal;
    return {
      executor,
      ws,
      payload: this.payload,
      secrets,
      client,
      checkoutFrom: this.deps.checkoutFrom ?? 'server',
      workingDirectory,
      shell,
      env,
      signal,
      log: (text) => out.write('out', text),
      logError: (text) => out.write('err', text),
      runCommand: (opts) => runCommand({ executor, ws, env, cwd: workingDirectory, shell, out, signal }, opts),
    };
  }
}
