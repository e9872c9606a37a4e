// Small formatting helpers shared by the terminal reporters.
import type { JobRef, JobSummary } from '../events.ts';

export function duration(ms: number): string {
  if (ms < 1_000) return `${ms}ms`;
  // Rounded before it is split, so 179.6 s is 3m00s (not 2m60s) and 59.97 s is 1m00s.
  if (ms < 59_950) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/** `job`, or `job[2]` for a node of a parallel job. */
export function label(ref: Pick<JobRef, 'job' | 'node' | 'nodes'>): string {
  return ref.nodes > 1 ? `${ref.job}[${ref.node}]` : ref.job;
}

/** Removes terminal control sequences (colours, cursor moves) from job output. */
export function plainText(s: string): string {
  return s.replace(/\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g, '').replace(/\r(?!\n)/g, '\n');
}

export function tests(t: JobSummary['tests']): string {
  if (t.total === 0) return '';
  return `${t.total} test${t.total === 1 ? '' : 's'}${t.failed ? `, ${t.failed} failed` : ''}${t.skipped ? `, ${t.skipped} skipped` : ''}`;
}

/** The summary table printed at the end of a run. */
export function summaryLines(summary: JobSummary[], out: string, cwd: string = process.cwd()): string[] {
  const width = Math.max(4, ...summary.map((s) => s.job.length));
  const lines = summary.map((s) => `  ${s.job.padEnd(width)}  ${s.status.padEnd(10)} ${duration(s.ms).padStart(7)}  ${[tests(s.tests), s.artifacts ? `${s.artifacts} artifact${s.artifacts === 1 ? '' : 's'}` : ''].filter(Boolean).join(', ')}`.trimEnd());
  const rel = out.startsWith(cwd + '/') ? out.slice(cwd.length + 1) : out;
  return [...lines, `Output, artifacts and test results: ${rel}/`];
}
