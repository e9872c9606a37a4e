// API v1.1 user: `GET /me`, `GET /projects` (the projects the user follows), and following a
// project (`POST /project/:vcs/:org/:repo/follow`, `…/unfollow`).
import type { FastifyInstance } from 'fastify';
import { followedProjects, followProject, unfollowProject } from '../../storage/follows.ts';
import type { HttpDeps } from '../deps.ts';
import { strictBodyValidator } from '../schemas/validation.ts';
import { v1ProjectBody } from './presenters/project.ts';
import { requireV1Project, v1ProjectParams, type V1Params } from './services/builds.ts';

/** `GET /projects` answers every followed project at once. */
const ALL = 10_000;

export function v1UserRoutes(app: FastifyInstance, deps: HttpDeps): void {
  app.get('/me', async (req) => ({
    login: req.user.login,
    name: req.user.name,
    avatar_url: req.user.avatar_url ?? '',
    created_at: req.user.created_at,
    admin: false,
    basic_email_prefs: 'none',
    // circlet keeps no user SSH key for GitHub: no fingerprint, as for a user without one.
    user_key_fingerprint: null,
  }));

  // circlet deploys nowhere by itself: a Heroku key is checked for shape and not kept
  // (docs/compatibility.md); CircleCI answers an empty body.
  app.post<{ Body: { apikey: string } }>(
    '/user/heroku-key',
    { validatorCompiler: strictBodyValidator, schema: { body: { type: 'object', properties: { apikey: { type: 'string', minLength: 1 } }, required: ['apikey'], additionalProperties: false } } },
    async (_req, reply) => reply.status(200).send(''),
  );

  app.get('/projects', async (req) => (await followedProjects(deps.database.db, req.user.id, ALL)).slice(0, ALL).map((p) => v1ProjectBody(p, true)));

  app.post<{ Params: V1Params }>('/project/:vcs/:org/:repo/follow', { schema: { params: v1ProjectParams } }, async (req) => {
    const project = await requireV1Project(deps, req, req.params);
    await followProject(deps.database.db, req.user.id, project.id);
    return { ...v1ProjectBody(project, true), following: true };
  });

  app.post<{ Params: V1Params }>('/project/:vcs/:org/:repo/unfollow', { schema: { params: v1ProjectParams } }, async (req) => {
    const project = await requireV1Project(deps, req, req.params);
    await unfollowProject(deps.database.db, req.user.id, project.id);
    return { ...v1ProjectBody(project, false), following: false };
  });
}
