// Resource classes and runner tokens over the runner API v3: list, create and delete
// (`/resource`, `/token`), as the `circleci runner` CLI and the Terraform provider call them.
import type { FastifyInstance } from 'fastify';
import { UUID_RE } from '../../domain/clock.ts';
import {
  createResourceClass,
  deleteResourceClass,
  findResourceClass,
  getResourceClass,
  RESOURCE_CLASS_RE,
  resourceClassesInNamespace,
  ResourceClassTaken,
} from '../../storage/resource-classes.ts';
import { deleteRunnerToken, getRunnerToken, issueRunnerToken, runnerTokensOfClass } from '../../storage/runner-tokens.ts';
import { audit } from '../audit.ts';
import type { HttpDeps } from '../deps.ts';
import { CircletError, isCircletError } from '../errors.ts';
import { presentResourceClass, presentToken } from './presenters/runner.ts';
import { className, managedClass, organizationForNamespace, organizationIdsOf, readableClass } from './services/access.ts';

const idParams = { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] } as const;

export function resourceRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const db = deps.database.db;

  app.get<{ Querystring: { namespace?: string } }>(
    '/resource',
    { schema: { hide: true, querystring: { type: 'object', properties: { namespace: { type: 'string' } } } } },
    async (req) => {
      const ns = req.query.namespace;
      if (!ns) throw new CircletError('NAMESPACE_PARAM_REQUIRED');
      return { items: (await resourceClassesInNamespace(db, ns, await organizationIdsOf(deps, req))).map(presentResourceClass) };
    },
  );

  app.post<{ Body: { resource_class: string; description?: string; org_id?: string } }>(
    '/resource',
    {
      schema: {
        hide: true,
        body: {
          type: 'object',
          properties: { resource_class: { type: 'string', maxLength: 200 }, description: { type: 'string', maxLength: 1000 }, org_id: { type: 'string' } },
          required: ['resource_class'],
        },
      },
    },
    async (req) => {
      const { resource_class: name, description = '', org_id: orgId } = req.body;
      if (!RESOURCE_CLASS_RE.test(name)) throw new CircletError('RESOURCE_CLASS_NAME_INVALID', { name });
      const namespace = name.slice(0, name.indexOf('/'));
      const organizationId = await organizationForNamespace(deps, req, namespace, orgId);
      const others = await resourceClassesInNamespace(db, namespace, await organizationIdsOf(deps, req));
      const foreign = (await findResourceClass(db, name)) ?? others.find((rc) => rc.organization_id !== organizationId);
      if (foreign && foreign.organization_id !== organizationId) throw new CircletError('NAMESPACE_OF_OTHER_ORGANIZATION', { namespace });
      let created;
      try {
        created = await createResourceClass(db, name, organizationId, description);
      } catch (err) {
        if (err instanceof ResourceClassTaken) throw new CircletError('RESOURCE_CLASS_EXISTS', { name });
        throw err;
      }
      await audit(deps, req, { action: 'resource_class.created', organizationId, target: { type: 'resource_class', id: created.id, name } });
      return presentResourceClass(created);
    },
  );

  const remove = (force: boolean) => async (req: { params: { id: string } } & Parameters<typeof managedClass>[1]) => {
    const rc = UUID_RE.test(req.params.id) ? await getResourceClass(db, req.params.id) : undefined;
    await managedClass(deps, req, rc);
    if (!force && (await runnerTokensOfClass(db, rc!.name)).length > 0) {
      throw new CircletError('RESOURCE_CLASS_HAS_TOKENS', { name: rc!.name });
    }
    await deleteResourceClass(db, rc!.id);
    await audit(deps, req, { action: 'resource_class.deleted', organizationId: rc!.organization_id, target: { type: 'resource_class', id: rc!.id, name: rc!.name }, detail: { force } });
    return { message: 'Resource class deleted.' };
  };
  app.delete<{ Params: { id: string } }>('/resource/:id', { schema: { hide: true, params: idParams } }, remove(false));
  app.delete<{ Params: { id: string } }>('/resource/:id/force', { schema: { hide: true, params: idParams } }, remove(true));

  app.get<{ Querystring: { 'resource-class'?: string } }>(
    '/token',
    { schema: { hide: true, querystring: { type: 'object', properties: { 'resource-class': { type: 'string' } } } } },
    async (req) => {
      const rc = await readableClass(deps, req, className(req.query['resource-class']));
      return { items: (await runnerTokensOfClass(db, rc.name)).map(presentToken) };
    },
  );

  app.post<{ Body: { resource_class: string; nickname: string } }>(
    '/token',
    {
      schema: {
        hide: true,
        body: {
          type: 'object',
          properties: { resource_class: { type: 'string' }, nickname: { type: 'string', minLength: 1, maxLength: 200 } },
          required: ['resource_class', 'nickname'],
        },
      },
    },
    async (req) => {
      const name = className(req.body.resource_class, 'resource_class');
      const rc = await managedClass(deps, req, await findResourceClass(db, name));
      const { row, token } = await issueRunnerToken(db, req.body.nickname, rc.name);
      await audit(deps, req, { action: 'runner_token.created', organizationId: rc.organization_id, target: { type: 'runner_token', id: row.id, name: row.name }, detail: { resource_class: rc.name } });
      return { ...presentToken(row), token };
    },
  );

  app.delete<{ Params: { id: string } }>('/token/:id', { schema: { hide: true, params: idParams } }, async (req) => {
    const token = UUID_RE.test(req.params.id) ? await getRunnerToken(db, req.params.id) : undefined;
    if (!token || token.resource_class === '') throw new CircletError('RUNNER_TOKEN_NOT_FOUND');
    const rc = await managedClass(deps, req, await findResourceClass(db, token.resource_class)).catch((err: unknown) => {
      throw isCircletError(err, 'RESOURCE_CLASS_NOT_FOUND') ? new CircletError('RUNNER_TOKEN_NOT_FOUND') : err;
    });
    await deleteRunnerToken(db, token.id);
    await audit(deps, req, { action: 'runner_token.revoked', organizationId: rc.organization_id, target: { type: 'runner_token', id: token.id, name: token.name }, detail: { resource_class: rc.name } });
    return { message: 'Token deleted.' };
  });
}
