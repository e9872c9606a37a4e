// Plain lines for logs and pipes: every line prefixed with the job it comes from, no
// control codes.
import type { Reporter, RunEvent } from '../events.ts';
import { duration, label, plainText, summaryLines } from './format.ts';

export class PlainReporter implements Reporter {
  /** Partial lines per job node, until their newline arrives. */
  private readonly partial = new Map<string, string>();

  constructor(private readonly write: (s: string) => void = (s) => process.stdout.write(s)) {}

  private line(prefix: string, text: string): void {
    this.write(`[${prefix}] ${text}\n`);
  }

  private flush(prefix: string): void {
    const rest = this.partial.get(prefix);
    if (rest) this.line(prefix, rest);
    this.partial.delete(prefix);
  }

  event(e: RunEvent): void {
    switch (e.type) {
      case 'run_started': {
        const where = e.tag ? `tag ${e.tag}` : `branch ${e.branch}`;
        const what = e.working_tree ? (e.dirty ? 'the working tree, uncommitted changes included' : 'the working tree, same as HEAD') : 'HEAD';
        this.write(`circlet run #${e.pipeline}: ${where} at ${e.revision.slice(0, 7)} (${what})\n`);
        for (const w of e.workflows) this.write(`workflow ${w.name}: ${w.jobs.map((j) => j.name).join(', ')}\n`);
        break;
      }
      case 'job_started':
        this.line(e.job, e.nodes > 1 ? `started (${e.nodes} nodes)` : 'started');
        break;
      case 'step_started':
        this.line(label(e), `==> ${e.name}`);
        break;
      case 'output': {
        const key = label(e);
        const text = (this.partial.get(key) ?? '') + plainText(e.data);
        const lines = text.split('\n');
        this.partial.set(key, lines.pop()!);
        for (const l of lines) this.line(key, l);
        break;
      }
      case 'step_ended':
        this.flush(label(e));
        if (e.status !== 'success') this.line(label(e), `<== ${e.name}: ${e.status}${e.exit_code !== null ? ` (exit ${e.exit_code})` : ''} after ${duration(e.ms)}`);
        break;
      case 'job_ended':
        this.line(e.job, `${e.status}${e.ms ? ` in ${duration(e.ms)}` : ''}${e.message ? `: ${e.message}` : ''}`);
        break;
      case 'approval':
        if (e.decision !== 'pending') this.line(e.job, e.decision === 'approved' ? 'approved' : 'not approved: the workflow stops here (--approve approves)');
        else this.line(e.job, 'waiting for approval');
        break;
      case 'workflow_ended':
        this.write(`workflow ${e.workflow}: ${e.status} in ${duration(e.ms)}\n`);
        break;
      case 'run_ended':
        this.write(`\n${e.status === 'success' ? 'Success' : e.status === 'stopped' ? 'Stopped at an approval' : e.status === 'canceled' ? 'Cancelled' : 'Failed'} in ${duration(e.ms)}\n`);
        for (const l of summaryLines(e.summary, e.out)) this.write(l + '\n');
        break;
    }
  }

  close(): void {
    for (const key of [...this.partial.keys()]) this.flush(key);
  }
}
