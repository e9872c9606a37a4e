// The user's personal API tokens, as CircleCI's web app manages them (its private
// `/api/v1/user/token` routes; circlet serves them under v1.1): listed by label and time,
// created (the only time the token itself is answered) and revoked. The dashboard's tokens
// page is one more client of these routes.
import type { FastifyInstance } from 'fastify';
import { createApiTokenRecord, deleteApiToken, listApiTokens, type ApiTokenInfo } from '../../storage/users.ts';
import { audit } from '../audit.ts';
import { forgetCachedTokens } from '../auth.ts';
import type { HttpDeps } from '../deps.ts';
import { CircletError } from '../errors.ts';
import { strictBodyValidator } from '../schemas/validation.ts';

const tokenBody = (t: ApiTokenInfo) => ({ id: t.id, label: t.name, time: t.created_at });

export function v1TokenRoutes(app: FastifyInstance, deps: HttpDeps): void {
  app.get('/user/token', async (req) => (await listApiTokens(deps.database.db, req.user.id)).map(tokenBody));

  app.post<{ Body: { label: string } }>(
    '/user/token',
    {
      validatorCompiler: strictBodyValidator,
      schema: { body: { type: 'object', properties: { label: { type: 'string', minLength: 1, maxLength: 100, pattern: '\\S' } }, required: ['label'], additionalProperties: false } },
    },
    async (req, reply) => {
      const created = await createApiTokenRecord(deps.database.db, req.user.id, req.body.label.trim());
      await audit(deps, req, { action: 'api_token.created', target: { type: 'user', id: req.user.id, name: req.user.login }, detail: { token_id: created.id, token_name: created.name } });
      return reply.status(201).send({ ...tokenBody(created), token: created.token });
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/user/token/:id',
    { schema: { params: { type: 'object', properties: { id: { type: 'string', minLength: 1, maxLength: 64 } }, required: ['id'] } } },
    async (req) => {
      if (!(await deleteApiToken(deps.database.db, req.user.id, req.params.id))) throw new CircletError('API_TOKEN_NOT_FOUND');
      forgetCachedTokens(deps, req.user.id);
      await audit(deps, req, { action: 'api_token.revoked', target: { type: 'user', id: req.user.id, name: req.user.login }, detail: { token_id: req.params.id } });
      return { message: 'OK' };
    },
  );
}
