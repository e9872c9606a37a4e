// Release markers a running job records (`circleci run release plan|update|log`,
// docs/deploys.md): a version of a component (of the job's project) deployed to an
// environment (of its organization), with the job's pipeline, workflow and job.
import { ensureComponent, ensureEnvironment, insertRelease, releaseOfJob, updateRelease } from '../../storage/deploys.ts';
import { getJob, type Task } from '../../storage/jobs.ts';
import { getProject } from '../../storage/projects.ts';
import type { EngineDeps } from '../deps.ts';

export const RELEASE_STATUSES = ['PLANNED', 'RUNNING', 'SUCCESS', 'FAILED', 'CANCELED'] as const;

export interface ReleaseCall {
  action: 'plan' | 'update' | 'log';
  environment_name: string;
  component_name: string;
  target_version?: string;
  namespace?: string;
  status?: string;
}

export class ReleaseRefused extends Error {}

export async function recordRelease(deps: EngineDeps, task: Task, call: ReleaseCall): Promise<string> {
  const db = deps.database.db;
  const job = (await getJob(db, task.job_id))!;
  const project = (await getProject(db, job.project_id))!;
  const env = await ensureEnvironment(db, project.organization_id, call.environment_name);
  const component = await ensureComponent(db, project.organization_id, project.id, call.component_name);
  const status = call.status?.toUpperCase();
  if (status !== undefined && !(RELEASE_STATUSES as readonly string[]).includes(status)) throw new ReleaseRefused(`--status must be one of ${RELEASE_STATUSES.join(', ').toLowerCase()}`);
  if (call.action === 'update') {
    const existing = await releaseOfJob(db, job.id, component.id, env.id);
    if (!existing) throw new ReleaseRefused(`no release of ${call.component_name} to ${call.environment_name} was planned in this job (run circleci run release plan first)`);
    await updateRelease(db, existing.id, { ...(status ? { status } : {}), ...(call.target_version ? { version: call.target_version } : {}) });
    return `release of ${call.component_name} ${call.target_version ?? existing.version} to ${call.environment_name}: ${(status ?? existing.status).toLowerCase()}`;
  }
  if (!call.target_version) throw new ReleaseRefused('--target-version is required');
  await insertRelease(db, {
    component_id: component.id,
    environment_id: env.id,
    version: call.target_version,
    namespace: call.namespace ?? 'default',
    status: status ?? (call.action === 'log' ? 'SUCCESS' : 'PLANNED'),
    pipeline_id: job.pipeline_id,
    workflow_id: job.workflow_id,
    job_id: job.id,
    job_number: job.number === null ? null : Number(job.number),
  });
  return `release of ${call.component_name} ${call.target_version} to ${call.environment_name}: ${(status ?? (call.action === 'log' ? 'SUCCESS' : 'PLANNED')).toLowerCase()}`;
}
