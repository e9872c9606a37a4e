// Looking up a project's pipeline definitions and triggers for the routes that name them.
import { UUID_RE } from '../../../domain/clock.ts';
import { getDefinition, getTrigger, type PipelineDefinition, type PipelineTrigger } from '../../../storage/pipeline-definitions.ts';
import type { ProjectWithOrg } from '../../../storage/projects.ts';
import type { HttpDeps } from '../../deps.ts';
import { CircletError } from '../../errors.ts';


/** The project's definition by id (404 for another project's or a malformed id). */
export async function requireDefinition(deps: HttpDeps, project: ProjectWithOrg, id: string): Promise<PipelineDefinition> {
  const d = UUID_RE.test(id) ? await getDefinition(deps.database.db, project.id, id.toLowerCase()) : undefined;
  if (!d) throw new CircletError('PIPELINE_DEFINITION_NOT_FOUND');
  return d;
}

/** The project's trigger by id. */
export async function requireTrigger(deps: HttpDeps, project: ProjectWithOrg, id: string): Promise<PipelineTrigger> {
  const t = UUID_RE.test(id) ? await getTrigger(deps.database.db, project.id, id.toLowerCase()) : undefined;
  if (!t) throw new CircletError('TRIGGER_NOT_FOUND');
  return t;
}
