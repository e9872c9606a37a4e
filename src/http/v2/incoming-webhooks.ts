// The receiving end of git-forge webhooks as API v2 shows it: the project's secret and the
// URLs to give GitHub, Gitea/Forgejo, GitLab or a git post-receive hook.
import type { FastifyInstance } from 'fastify';
import { slugOfProject as projectSlugOf } from '../../domain/slug.ts';
import { generateToken } from '../../domain/tokens.ts';
import type { ProjectWithOrg } from '../../storage/projects.ts';
import { projectHookSecret, rotateProjectHookSecret } from '../../storage/webhooks.ts';
import { audit, projectEvent } from '../audit.ts';
import type { HttpDeps } from '../deps.ts';
import { requireProject, type SlugParams } from '../project-access.ts';
import { errorResponses, projectSlugParams } from '../schemas/common.ts';

function receiverInfo(deps: HttpDeps, project: ProjectWithOrg, secret: string) {
  const base = (deps.baseUrl ?? deps.engine.baseUrl).replace(/\/+$/, '');
  const q = `?project=${encodeURIComponent(projectSlugOf(project))}`;
  return {
    secret,
    urls: { github: `${base}/hooks/github${q}`, gitea: `${base}/hooks/gitea${q}`, gitlab: `${base}/hooks/gitlab${q}`, git: `${base}/hooks/git${q}` },
  };
}

const receiverSchema = {
  type: 'object',
  properties: {
    secret: { type: 'string' },
    urls: {
      type: 'object',
      properties: { github: { type: 'string' }, gitea: { type: 'string' }, gitlab: { type: 'string' }, git: { type: 'string' } },
      required: ['github', 'gitea', 'gitlab', 'git'],
    },
  },
  required: ['secret', 'urls'],
} as const;

export function incomingWebhookRoutes(app: FastifyInstance, deps: HttpDeps): void {
  app.get<{ Params: SlugParams }>(
    '/project/:provider/:organization/:project/incoming-webhooks',
    { schema: { hide: true, params: projectSlugParams, response: { 200: receiverSchema, ...errorResponses } } },
    async (req) => {
      const project = await requireProject(deps, req, req.params);
      return receiverInfo(deps, project, await projectHookSecret(deps.database.db, deps.secrets, project.id, generateToken));
    },
  );

  app.post<{ Params: SlugParams }>(
    '/project/:provider/:organization/:project/incoming-webhooks/rotate',
    { schema: { hide: true, params: projectSlugParams, response: { 200: receiverSchema, ...errorResponses } } },
    async (req) => {
      const project = await requireProject(deps, req, req.params);
      const secret = generateToken();
      await rotateProjectHookSecret(deps.database.db, deps.secrets, project.id, secret);
      await audit(deps, req, projectEvent(project, 'incoming_webhook.secret_rotated'));
      return receiverInfo(deps, project, secret);
    },
  );
}
