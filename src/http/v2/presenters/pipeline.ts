// API shapes of pipelines.
import { slugOfProject } from '../../../domain/slug.ts';
import type { Pipeline } from '../../../storage/pipelines.ts';
import type { ProjectWithOrg } from '../../../storage/projects.ts';
import type { User } from '../../../storage/users.ts';

export function projectSlugOf(p: Pick<ProjectWithOrg, 'vcs_type' | 'org_name' | 'name' | 'organization_id' | 'id'>): string {
  return slugOfProject(p);
}

export function pipelineBody(p: Pipeline, project: ProjectWithOrg, actor: Pick<User, 'login' | 'avatar_url'> | undefined) {
  const vcs = JSON.parse(p.vcs) as Record<string, unknown>;
  const commit = vcs.commit as { subject?: string; body?: string } | undefined;
  const triggerParameters = JSON.parse(p.trigger_parameters) as Record<string, unknown>;
  return {
    id: p.id,
    errors: JSON.parse(p.errors) as { type: string; message: string }[],
    project_slug: projectSlugOf(project),
    updated_at: p.updated_at,
    number: p.number,
    ...(Object.keys(triggerParameters).length > 0 ? { trigger_parameters: triggerParameters } : {}),
    state: p.state,
    created_at: p.created_at,
    trigger: {
      type: p.trigger_type,
      received_at: p.trigger_received_at,
      actor: { login: actor?.login ?? 'system', avatar_url: actor?.avatar_url ?? null },
    },
    vcs: {
      provider_name: vcs.provider_name,
      target_repository_url: vcs.target_repository_url,
      origin_repository_url: vcs.origin_repository_url,
      revision: p.revision ?? '',
      ...(p.branch ? { branch: p.branch } : {}),
      ...(p.tag ? { tag: p.tag } : {}),
      ...(vcs.review_id ? { review_id: vcs.review_id, review_url: vcs.review_url } : {}),
      ...(commit ? { commit: { subject: commit.subject ?? null, body: commit.body ?? null } } : {}),
    },
  };
}

/** Pipeline values with their `pipeline.` prefix, as the API lists them. */
export function pipelineValuesBody(p: Pipeline): Record<string, unknown> {
  const values = JSON.parse(p.pipeline_values) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(values)) out[`pipeline.${k}`] = v;
  return out;
}

export function pipelineConfigBody(p: Pipeline) {
  return {
    source: p.source_config,
    compiled: p.compiled_config,
    ...(p.setup_config ? { 'setup-config': p.setup_config, 'compiled-setup-config': p.compiled_setup_config } : {}),
  };
}
