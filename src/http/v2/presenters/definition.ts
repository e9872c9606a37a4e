// Pipeline definitions and triggers as CircleCI's API v2 shows them.
import type { PipelineDefinition, PipelineTrigger } from '../../../storage/pipeline-definitions.ts';
import type { ProjectWithOrg } from '../../../storage/projects.ts';

/** The repository a definition or trigger reads: always the project's own. */
const repoOf = (p: ProjectWithOrg) => ({ full_name: `${p.org_name}/${p.name}`, external_id: p.id });

export function definitionBody(p: ProjectWithOrg, d: PipelineDefinition) {
  return {
    id: d.id,
    name: d.name,
    ...(d.description !== '' ? { description: d.description } : {}),
    created_at: d.created_at,
    config_source: { provider: d.config_provider, repo: repoOf(p), file_path: d.config_file_path },
    checkout_source: { provider: d.checkout_provider, repo: repoOf(p) },
  };
}

const nonEmpty = (json: string): Record<string, unknown> | undefined => {
  const v = JSON.parse(json) as Record<string, unknown>;
  return Object.keys(v).length > 0 ? v : undefined;
};

export function triggerBody(p: ProjectWithOrg, t: PipelineTrigger) {
  const filters = nonEmpty(t.filters);
  const parameters = nonEmpty(t.parameters);
  return {
    id: t.id,
    ...(t.event_name !== null ? { event_name: t.event_name } : {}),
    created_at: t.created_at,
    event_source: { provider: t.provider, repo: repoOf(p) },
    ...(t.event_preset !== null ? { event_preset: t.event_preset } : {}),
    ...(t.checkout_ref !== null ? { checkout_ref: t.checkout_ref } : {}),
    ...(t.config_ref !== null ? { config_ref: t.config_ref } : {}),
    disabled: t.disabled === 1,
    // circlet extensions, shown only when set.
    ...(filters ? { filters } : {}),
    ...(parameters ? { parameters } : {}),
  };
}
