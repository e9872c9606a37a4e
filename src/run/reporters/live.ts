// The live view on a terminal (listr2): a tree of workflows and their jobs, each with a
// spinner, its status, elapsed time and current step; a failed job shows its failing step's
// last lines (masked, as stored) under it; a summary follows at the end.
import { Listr, type ListrTaskWrapper } from 'listr2';
import type { Reporter, RunEvent } from '../events.ts';
import { duration, label, plainText, summaryLines } from './format.ts';

const TAIL = 12;

interface JobView {
  name: string;
  nodes: number;
  startedAt?: number;
  /** Current step of each running node. */
  steps: Map<number, string>;
  /** Last output lines per node and step. */
  tails: Map<string, string[]>;
  failure?: { node: number; step: number; name: string; status: string; exit: number | null };
  task?: ListrTaskWrapper<unknown, any, any>;
  settle?: (err?: Error, skip?: string) => void;
  ended?: { err?: Error; skip?: string; title: string; output?: string };
  waiting?: boolean;
}

export class LiveReporter implements Reporter {
  private readonly jobs = new Map<string, JobView>();
  private running?: Promise<unknown>;
  private ticker?: NodeJS.Timeout;
  private summary: string[] = [];

  constructor(private readonly out: NodeJS.WriteStream = process.stdout) {}

  private view(workflow: string, job: string): JobView | undefined {
    return this.jobs.get(`${workflow}/${job}`);
  }

  private title(v: JobView): string {
    if (v.waiting) return `${v.name}: waiting for approval (y approves, n stops)`;
    if (!v.startedAt) return `${v.name}`;
    const steps = [...v.steps.entries()].sort((a, b) => a[0] - b[0]);
    const step = v.nodes > 1 ? `${steps.length}/${v.nodes} nodes running` : (steps[0]?.[1] ?? '');
    return `${v.name} ${duration(Date.now() - v.startedAt)}${step ? ` · ${step}` : ''}`;
  }

  private start(e: Extract<RunEvent, { type: 'run_started' }>): void {
    const where = e.tag ? `tag ${e.tag}` : `branch ${e.branch}`;
    this.out.write(`circlet run #${e.pipeline}: ${where} at ${e.revision.slice(0, 7)}${e.working_tree && e.dirty ? ' (working tree, uncommitted changes included)' : ''}\n`);
    // Views first: events may come before listr starts a job's task.
    const views = e.workflows.map((w) =>
      w.jobs.map((j) => {
        const v: JobView = { name: j.name, nodes: 1, steps: new Map(), tails: new Map() };
        this.jobs.set(`${w.name}/${j.name}`, v);
        return v;
      }),
    );
    const list = new Listr(
      e.workflows.map((w, i) => ({
        title: w.name,
        task: (_ctx: unknown, wt: ListrTaskWrapper<unknown, any, any>) =>
          wt.newListr(
            views[i]!.map((v) => ({
              title: v.name,
              rendererOptions: { outputBar: Infinity, persistentOutput: true },
              task: (_c: unknown, task: ListrTaskWrapper<unknown, any, any>) =>
                new Promise<void>((resolve, reject) => {
                  v.task = task;
                  v.settle = (err, skip) => {
                    if (skip !== undefined) task.skip(skip);
                    if (err) reject(err);
                    else resolve();
                  };
                  if (v.ended) this.finish(v);
                }),
            })),
            { concurrent: true, exitOnError: false },
          ),
      })),
      { concurrent: true, exitOnError: false, rendererOptions: { collapseSubtasks: false, collapseErrors: false, showErrorMessage: false } },
    );
    this.running = list.run().catch(() => undefined);
    this.ticker = setInterval(() => {
      for (const v of this.jobs.values()) if (v.task && !v.ended) v.task.title = this.title(v);
    }, 250);
  }

  private finish(v: JobView): void {
    if (!v.settle || !v.ended) return;
    if (v.task) {
      v.task.title = v.ended.title;
      if (v.ended.output) v.task.output = v.ended.output;
    }
    v.settle(v.ended.err, v.ended.skip);
    v.settle = undefined;
  }

  event(e: RunEvent): void {
    if (e.type === 'run_started') return this.start(e);
    if (e.type === 'run_ended') {
      this.summary = [`${e.status === 'success' ? 'Success' : e.status === 'stopped' ? 'Stopped at an approval' : e.status === 'canceled' ? 'Cancelled' : 'Failed'} in ${duration(e.ms)}`, ...summaryLines(e.summary, e.out)];
      return;
    }
    if (!('job' in e)) return;
    const v = this.view(e.workflow, e.job);
    if (!v) return;
    switch (e.type) {
      case 'job_started':
        v.startedAt = Date.now();
        v.nodes = e.nodes;
        break;
      case 'step_started':
        v.steps.set(e.node, e.name);
        break;
      case 'output': {
        const key = `${e.node}/${e.step}`;
        const lines = [...(v.tails.get(key) ?? []), ...plainText(e.data).split('\n')];
        v.tails.set(key, lines.slice(-TAIL - 1));
        break;
      }
      case 'step_ended':
        if (e.status !== 'success' && !v.failure) v.failure = { node: e.node, step: e.step, name: e.name, status: e.status, exit: e.exit_code };
        break;
      case 'approval':
        v.waiting = e.decision === 'pending';
        if (v.task) v.task.title = e.decision === 'pending' ? this.title(v) : `${v.name}: ${e.decision === 'approved' ? 'approved' : 'not approved, the workflow stops here'}`;
        break;
      case 'job_ended': {
        const took = e.ms ? ` (${duration(e.ms)})` : '';
        if (e.status === 'success') v.ended = { title: `${v.name}${took}` };
        else if (e.status === 'failed' || e.status === 'timedout' || e.status === 'infrastructure_fail') {
          const f = v.failure;
          const tail = f ? (v.tails.get(`${f.node}/${f.step}`) ?? []).filter((l, i, all) => l !== '' || i < all.length - 1).slice(-TAIL) : [];
          const where = f ? ` in step "${f.name}"${f.exit !== null ? ` (exit ${f.exit})` : ''}${v.nodes > 1 ? ` on node ${label({ job: v.name, node: f.node, nodes: v.nodes })}` : ''}` : '';
          const lines = [...(e.message ? [e.message] : []), ...tail];
          v.ended = { title: `${v.name}: ${e.status}${where}${took}`, output: lines.join('\n'), err: new Error(`${v.name}: ${e.status}${where}`) };
        } else v.ended = { title: `${v.name}: ${e.status}`, skip: `${v.name}: ${e.status}${e.message ? ` (${e.message})` : ''}` };
        this.finish(v);
        break;
      }
    }
  }

  /** One key on the terminal: y approves, anything else does not. */
  prompt(_question: string): Promise<boolean> {
    const stdin = process.stdin;
    if (!stdin.isTTY) return Promise.resolve(false);
    return new Promise((resolve) => {
      stdin.setRawMode(true);
      stdin.resume();
      stdin.once('data', (b: Buffer) => {
        stdin.setRawMode(false);
        stdin.pause();
        // Ctrl-C in raw mode arrives as a byte, not a signal.
        if (b[0] === 3) process.kill(process.pid, 'SIGINT');
        resolve(b.toString().toLowerCase() === 'y');
      });
    });
  }

  async close(): Promise<void> {
    // Whatever never ended (an early error) is settled so the view stops.
    for (const v of this.jobs.values()) {
      if (!v.ended) {
        v.ended = { title: `${v.name}: not run`, skip: `${v.name}: not run` };
        this.finish(v);
      }
    }
    await this.running;
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
    this.running = undefined;
    if (this.summary.length > 0) this.out.write('\n' + this.summary.join('\n') + '\n');
    this.summary = [];
  }
}
