// The pipeline values (`<< pipeline.* >>`) of a pipeline, from its project and trigger.
import type { PipelineValues } from '../../config/index.ts';
import { formatProjectSlug } from '../../domain/slug.ts';

export interface PipelineValueInput {
  id: string;
  number: number;
  project: { vcs_type: string; org_name: string; name: string; vcs_url: string; default_branch: string };
  branch?: string | null;
  tag?: string | null;
  revision: string;
  triggerSource: string;
  commit?: { subject: string; body: string };
  schedule?: { name: string; id: string };
  triggerParameters?: Record<string, unknown>;
  reviewUrl?: string;
  reviewId?: string;
}

const PROJECT_TYPE: Record<string, string> = { github: 'github', bitbucket: 'bitbucket', circleci: 'circleci' };

/** Values keyed without the `pipeline.` prefix, as the compiler takes them. */
export function pipelineValues(i: PipelineValueInput): PipelineValues {
  const v: PipelineValues = {
    id: i.id,
    number: i.number,
    'project.git_url': i.project.vcs_url,
    'project.type': PROJECT_TYPE[i.project.vcs_type] ?? i.project.vcs_type,
    'project.slug': formatProjectSlug(i.project.vcs_type, i.project.org_name, i.project.name),
    'git.tag': i.tag ?? '',
    'git.branch': i.branch ?? '',
    'git.branch.is_default': !i.tag && i.branch === i.project.default_branch,
    'git.revision': i.revision,
    'git.repo_url': i.project.vcs_url,
    'git.repo_owner': i.project.org_name,
    'git.repo_name': i.project.name,
    trigger_source: i.triggerSource,
    'trigger.type': i.triggerSource === 'scheduled_pipeline' ? 'schedule' : i.triggerSource,
  };
  if (i.commit) {
    v['git.commit.subject'] = i.commit.subject;
    v['git.commit.body'] = i.commit.body;
  }
  if (i.schedule) {
    v['schedule.name'] = i.schedule.name;
    v['schedule.id'] = i.schedule.id;
  }
  for (const [k, val] of Object.entries(flatten(i.triggerParameters ?? {}))) v[`trigger_parameters.${k}`] = val;
  return v;
}

function flatten(obj: Record<string, unknown>, prefix = ''): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const [k, val] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (val && typeof val === 'object' && !Array.isArray(val)) Object.assign(out, flatten(val as Record<string, unknown>, key));
    else if (typeof val === 'string' || typeof val === 'number' || typeof val === 'boolean') out[key] = val;
  }
  return out;
}
