// Step output for v1.1 clients: presigned `output_url`s and the build's `steps` array.
import type { Job, Task } from '../../../storage/jobs.ts';
import { tasksOfJob } from '../../../storage/jobs.ts';
import { stepsOfTasks } from '../../../storage/steps.ts';
import type { HttpDeps } from '../../deps.ts';
import { buildSteps } from '../presenters/build-steps.ts';

/** How long a presigned output URL stays valid. */
export const OUTPUT_URL_TTL_MS = 15 * 60 * 1000;

export function signOutput(deps: HttpDeps, taskId: string, step: number, expires: number): string {
  return deps.secrets.mac(`output:${taskId}:${step}:${expires}`);
}

export function outputUrl(deps: HttpDeps, task: Task, step: number, now = Date.now()): string {
  const expires = now + OUTPUT_URL_TTL_MS;
  return `${deps.engine.baseUrl}/api/v1.1/step-output/${task.id}/${step}?expires=${expires}&sig=${signOutput(deps, task.id, step, expires)}`;
}

/** The v1.1 `steps` of a build (job), one action per parallel run. */
export async function v1BuildSteps(deps: HttpDeps, job: Job) {
  const tasks = await tasksOfJob(deps.database.db, job.id);
  const steps = await stepsOfTasks(deps.database.db, tasks.map((t) => t.id));
  return buildSteps(tasks, steps, (t, i) => outputUrl(deps, t, i));
}
