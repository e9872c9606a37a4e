// v1.1 `steps[].actions[]` of a build from stored step results: one step per index, one
// action per parallel run.
import type { Task } from '../../../storage/jobs.ts';
import type { Step } from '../../../storage/steps.ts';

export interface OutputLink {
  (task: Task, stepIndex: number): string;
}

export function buildSteps(tasks: Task[], steps: Step[], outputUrl: OutputLink) {
  const byIndex = new Map<number, Step[]>();
  for (const s of steps) byIndex.set(s.step_index, [...(byIndex.get(s.step_index) ?? []), s]);
  const taskById = new Map(tasks.map((t) => [t.id, t]));
  return [...byIndex.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([index, group]) => ({
      name: group[0]!.name,
      actions: group
        .map((s) => ({ s, t: taskById.get(s.task_id)! }))
        .sort((a, b) => a.t.node_index - b.t.node_index)
        .map(({ s, t }) => {
          const start = Date.parse(s.started_at);
          const end = s.stopped_at ? Date.parse(s.stopped_at) : undefined;
          const hasOutput = Number(s.output_bytes) > 0;
          return {
            index: t.node_index,
            step: index,
            name: s.name,
            type: s.type,
            status: s.status,
            truncated: Number(s.truncated) === 1,
            parallel: tasks.length > 1,
            bash_command: null,
            source: 'config',
            start_time: s.started_at,
            end_time: s.stopped_at,
            run_time_millis: end !== undefined ? end - start : null,
            exit_code: s.exit_code,
            background: false,
            continue: null,
            failed: s.status === 'failed' ? true : null,
            infrastructure_fail: null,
            timedout: s.status === 'timedout' ? true : null,
            canceled: s.status === 'canceled' ? true : null,
            messages: [],
            has_output: hasOutput,
            ...(hasOutput ? { output_url: outputUrl(t, index) } : {}),
          };
        }),
    }));
}
