// Project tag: checkout keys (SSH key pairs a job clones with). The private half never
// leaves the server through the API.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { CircletError } from '../../domain/errors.ts';
import { decodePageToken, pageOf } from '../../domain/paging.ts';
import {
  createCheckoutKey,
  deleteCheckoutKey,
  findCheckoutKey,
  listCheckoutKeysPage,
  preferredCheckoutKeyId,
  type CheckoutKey,
} from '../../storage/checkout-keys.ts';
import { audit, projectEvent } from '../audit.ts';
import type { HttpDeps } from '../deps.ts';
import { requireProject, type SlugParams } from '../project-access.ts';
import { errorResponses, messageSchema, projectSlugParams } from '../schemas/common.ts';
import { checkoutKeyListSchema, checkoutKeySchema, createCheckoutKeyBody, digestQuery } from './schemas/project.ts';
import { strictBodyValidator } from '../schemas/validation.ts';

export const CHECKOUT_KEY_PAGE_SIZE = 100;

type Digest = 'md5' | 'sha256';
interface DigestQuery {
  digest?: Digest;
  'page-token'?: string;
}

function checkoutKeyBody(k: CheckoutKey, preferredId: string | undefined, digest: Digest | undefined) {
  return {
    'public-key': k.public_key,
    type: k.type === 'user-key' ? 'github-user-key' : 'deploy-key',
    fingerprint: digest === 'sha256' ? k.fingerprint_sha256 : k.fingerprint_md5,
    preferred: k.id === preferredId,
    'created-at': k.created_at,
  };
}

const fingerprintParams = {
  type: 'object',
  properties: { ...projectSlugParams.properties, fingerprint: { type: 'string' } },
  required: [...projectSlugParams.required, 'fingerprint'],
} as const;

// A SHA-256 fingerprint is base64 and may hold `/` (raw, or `%2F` which the app turns into
// `/`): such paths reach hidden wildcard twins of the get and delete routes.
const wildcardParams = {
  type: 'object',
  properties: { ...projectSlugParams.properties, '*': { type: 'string' } },
  required: [...projectSlugParams.required, '*'],
} as const;

type FingerprintParams = SlugParams & { fingerprint?: string; '*'?: string };
const fingerprintOf = (p: FingerprintParams): string => p.fingerprint ?? p['*'] ?? '';

const base = '/project/:provider/:organization/:project/checkout-key';

export function checkoutKeyRoutes(app: FastifyInstance, deps: HttpDeps): void {
  app.setValidatorCompiler(strictBodyValidator);

  app.get<{ Params: SlugParams; Querystring: DigestQuery }>(
    base,
    {
      schema: {
        tags: ['Project'],
        operationId: 'listCheckoutKeys',
        params: projectSlugParams,
        querystring: digestQuery,
        response: { 200: checkoutKeyListSchema, ...errorResponses },
      },
    },
    async (req) => {
      const project = await requireProject(deps, req, req.params);
      const token = req.query['page-token'];
      let after: { created_at: string; id: string } | undefined;
      if (token !== undefined) {
        const [createdAt, id] = decodePageToken(token, 2);
        if (typeof createdAt !== 'string' || typeof id !== 'string') throw new CircletError('BAD_PAGE_TOKEN');
        after = { created_at: createdAt, id };
      }
      const rows = await listCheckoutKeysPage(deps.database.db, project.id, CHECKOUT_KEY_PAGE_SIZE, after);
      const page = pageOf(rows, CHECKOUT_KEY_PAGE_SIZE, (k) => [k.created_at, k.id]);
      const preferredId = await preferredCheckoutKeyId(deps.database.db, project.id);
      return { items: page.items.map((k) => checkoutKeyBody(k, preferredId, req.query.digest)), next_page_token: page.next_page_token };
    },
  );

  app.post<{ Params: SlugParams; Body: { type: 'user-key' | 'deploy-key' } }>(
    base,
    {
      schema: {
        tags: ['Project'],
        operationId: 'createCheckoutKey',
        params: projectSlugParams,
        body: createCheckoutKeyBody,
        response: { 201: checkoutKeySchema, ...errorResponses },
      },
    },
    async (req, reply) => {
      const project = await requireProject(deps, req, req.params);
      const key = await createCheckoutKey(deps.database.db, deps.secrets, project.id, req.body.type);
      await audit(deps, req, projectEvent(project, 'checkout_key.created', { type: 'checkout_key', id: key.id, name: key.fingerprint_sha256 }, { key_type: key.type }));
      const preferredId = await preferredCheckoutKeyId(deps.database.db, project.id);
      return reply.status(201).send(checkoutKeyBody(key, preferredId, undefined));
    },
  );

  const getOne = async (req: FastifyRequest<{ Params: FingerprintParams; Querystring: DigestQuery }>) => {
    const project = await requireProject(deps, req, req.params);
    const fingerprint = fingerprintOf(req.params);
    const key = fingerprint ? await findCheckoutKey(deps.database.db, project.id, fingerprint) : undefined;
    if (!key) throw new CircletError('CHECKOUT_KEY_NOT_FOUND');
    // Answer in the digest the key was asked by, unless `digest` says otherwise.
    const digest = req.query.digest ?? (fingerprint.startsWith('SHA256:') ? 'sha256' : 'md5');
    return checkoutKeyBody(key, await preferredCheckoutKeyId(deps.database.db, project.id), digest);
  };
  const deleteOne = async (req: FastifyRequest<{ Params: FingerprintParams }>) => {
    const project = await requireProject(deps, req, req.params);
    const fingerprint = fingerprintOf(req.params);
    const key = fingerprint ? await findCheckoutKey(deps.database.db, project.id, fingerprint) : undefined;
    if (!key) throw new CircletError('CHECKOUT_KEY_NOT_FOUND');
    await deleteCheckoutKey(deps.database.db, key.id);
    await audit(deps, req, projectEvent(project, 'checkout_key.deleted', { type: 'checkout_key', id: key.id, name: key.fingerprint_sha256 }, { key_type: key.type }));
    return { message: 'Checkout key deleted.' };
  };

  const getSchema = { tags: ['Project'], operationId: 'getCheckoutKey', querystring: digestQuery, response: { 200: checkoutKeySchema, ...errorResponses } };
  const deleteSchema = { tags: ['Project'], operationId: 'deleteCheckoutKey', response: { 200: messageSchema, ...errorResponses } };
  app.get<{ Params: FingerprintParams; Querystring: DigestQuery }>(`${base}/:fingerprint`, { schema: { ...getSchema, params: fingerprintParams } }, getOne);
  app.get<{ Params: FingerprintParams; Querystring: DigestQuery }>(`${base}/*`, { schema: { ...getSchema, params: wildcardParams, hide: true } }, getOne);
  app.delete<{ Params: FingerprintParams }>(`${base}/:fingerprint`, { schema: { ...deleteSchema, params: fingerprintParams } }, deleteOne);
  app.delete<{ Params: FingerprintParams }>(`${base}/*`, { schema: { ...deleteSchema, params: wildcardParams, hide: true } }, deleteOne);
}
