// User tag: /me, /me/collaborations, /user/{id}.
import type { FastifyInstance } from 'fastify';
import { CircletError } from '../../domain/errors.ts';
import { UUID_RE } from '../../domain/clock.ts';
import { formatOrgSlug } from '../../domain/slug.ts';
import { organizationsOfUser } from '../../storage/organizations.ts';
import { getUser, type User } from '../../storage/users.ts';
import type { HttpDeps } from '../deps.ts';
import { errorResponses, userSchema } from '../schemas/common.ts';

const collaborationSchema = {
  type: 'array',
  items: {
    type: 'object',
    properties: {
      id: { type: 'string', format: 'uuid' },
      'vcs-type': { type: 'string' },
      name: { type: 'string' },
      avatar_url: { type: 'string' },
      slug: { type: 'string' },
    },
    required: ['id', 'vcs-type', 'name', 'avatar_url', 'slug'],
  },
} as const;

export function userBody(u: User) {
  return { id: u.id, login: u.login, name: u.name, avatar_url: u.avatar_url };
}

export function userRoutes(app: FastifyInstance, deps: HttpDeps): void {
  // Synchronous: the user is known from the token check, and no promise is made per call.
  app.get('/me', { schema: { tags: ['User'], operationId: 'getCurrentUser', response: { 200: userSchema, ...errorResponses } } }, (req) => userBody(req.user));

  app.get(
    '/me/collaborations',
    { schema: { tags: ['User'], operationId: 'getCollaborations', response: { 200: collaborationSchema, ...errorResponses } } },
    async (req) => {
      const orgs = await organizationsOfUser(deps.database.db, req.user.id);
      return orgs.map((o) => ({ id: o.id, 'vcs-type': o.vcs_type, name: o.name, avatar_url: '', slug: formatOrgSlug(o.vcs_type, o.name) }));
    },
  );

  app.get<{ Params: { id: string } }>(
    '/user/:id',
    {
      schema: {
        tags: ['User'],
        operationId: 'getUser',
        params: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
        response: { 200: userSchema, ...errorResponses },
      },
    },
    async (req) => {
      const user = UUID_RE.test(req.params.id) ? await getUser(deps.database.db, req.params.id) : undefined;
      if (!user) throw new CircletError('USER_NOT_FOUND');
      return userBody(user);
    },
  );
}
