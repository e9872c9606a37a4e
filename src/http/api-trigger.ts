// A pipeline triggered through the API by the signed-in user: the v2 and v1.1 trigger routes.
import type { FastifyRequest } from 'fastify';
import type { Pipeline } from '../storage/pipelines.ts';
import type { ProjectWithOrg } from '../storage/projects.ts';
import type { HttpDeps } from './deps.ts';

export interface ApiTriggerRef {
  branch?: string;
  tag?: string;
  revision?: string;
  parameters?: Record<string, unknown>;
}

export async function triggerByUser(deps: HttpDeps, req: FastifyRequest, project: ProjectWithOrg, ref: ApiTriggerRef): Promise<Pipeline> {
  const { pipeline } = await deps.engine.trigger({
    project,
    actorId: req.user.id,
    triggerType: 'api',
    branch: ref.branch,
    tag: ref.tag,
    revision: ref.revision,
    parameters: ref.parameters,
  });
  return pipeline;
}
