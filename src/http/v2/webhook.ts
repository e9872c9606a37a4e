// Webhook tag: outbound webhooks of a project (the only scope CircleCI has), reporting
// `workflow-completed` and `job-completed` events. A webhook is visible to the members of
// its project's organization; to anyone else it answers like one that does not exist. The
// delivery log (`…/deliveries`) is circlet's own, hidden from the OpenAPI document.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { CircletError } from '../../domain/errors.ts';
import { UUID_RE } from '../../domain/clock.ts';
import { decodePageToken, pageOf } from '../../domain/paging.ts';
import { listDeliveries, type Delivery } from '../../storage/deliveries.ts';
import { isMember } from '../../storage/organizations.ts';
import { getProject, type ProjectWithOrg } from '../../storage/projects.ts';
import {
  createWebhook,
  deleteWebhook,
  getWebhook,
  listWebhooks,
  MAX_WEBHOOKS_PER_PROJECT,
  updateWebhook,
  WEBHOOK_EVENTS,
  type Webhook,
  type WebhookEvent,
} from '../../storage/webhooks.ts';
import { audit, projectEvent } from '../audit.ts';
import type { HttpDeps } from '../deps.ts';
import { errorResponses, messageSchema } from '../schemas/common.ts';
import { strictBodyValidator } from '../schemas/validation.ts';
import { maskEnvValue } from './presenters/env-var.ts';

const MAX_NAME = 100;
const MAX_URL = 2048;
const MAX_SECRET = 1024;
const DELIVERY_PAGE_SIZE = 50;

// ---- schemas (CircleCI's spec, tag Webhook) ----

const eventsSchema = { type: 'array', items: { type: 'string', enum: [...WEBHOOK_EVENTS] } } as const;

const webhookSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    scope: { type: 'object', properties: { id: { type: 'string', format: 'uuid' }, type: { type: 'string' } }, required: ['id', 'type'] },
    name: { type: 'string' },
    events: eventsSchema,
    url: { type: 'string' },
    'verify-tls': { type: 'boolean' },
    'signing-secret': { type: 'string', description: 'Masked: `xxxx` and the last 4 characters.' },
    'created-at': { type: 'string', format: 'date-time' },
    'updated-at': { type: 'string', format: 'date-time' },
  },
  required: ['id', 'scope', 'name', 'events', 'url', 'verify-tls', 'signing-secret', 'created-at', 'updated-at'],
} as const;

const webhookListSchema = {
  type: 'object',
  properties: { items: { type: 'array', items: webhookSchema }, next_page_token: { type: 'string', nullable: true } },
  required: ['items', 'next_page_token'],
} as const;

const createBody = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    events: eventsSchema,
    url: { type: 'string' },
    'verify-tls': { type: 'boolean' },
    'signing-secret': { type: 'string' },
    scope: {
      type: 'object',
      properties: { id: { type: 'string' }, type: { type: 'string', enum: ['project'] } },
      required: ['id', 'type'],
      additionalProperties: false,
    },
  },
  required: ['name', 'events', 'url', 'verify-tls', 'signing-secret', 'scope'],
  additionalProperties: false,
} as const;

const updateBody = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    events: eventsSchema,
    url: { type: 'string' },
    'signing-secret': { type: 'string' },
    'verify-tls': { type: 'boolean' },
  },
  additionalProperties: false,
} as const;

const idParams = { type: 'object', properties: { webhook_id: { type: 'string' } }, required: ['webhook_id'] } as const;

const listQuery = {
  type: 'object',
  properties: { 'scope-id': { type: 'string' }, 'scope-type': { type: 'string', enum: ['project'] } },
  required: ['scope-id', 'scope-type'],
} as const;

const deliverySchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    event_id: { type: 'string' },
    event_type: { type: 'string' },
    status: { type: 'string', enum: ['pending', 'delivering', 'delivered', 'failed'] },
    attempts: { type: 'integer' },
    last_status_code: { type: 'integer', nullable: true },
    last_error: { type: 'string', nullable: true },
    next_attempt_at: { type: 'string', nullable: true },
    created_at: { type: 'string' },
    updated_at: { type: 'string' },
    delivered_at: { type: 'string', nullable: true },
    payload: { type: 'object', additionalProperties: true },
  },
  required: ['id', 'event_id', 'event_type', 'status', 'attempts', 'last_status_code', 'last_error', 'next_attempt_at', 'created_at', 'updated_at', 'delivered_at', 'payload'],
} as const;

const deliveryListSchema = {
  type: 'object',
  properties: { items: { type: 'array', items: deliverySchema }, next_page_token: { type: 'string', nullable: true } },
  required: ['items', 'next_page_token'],
} as const;

const responses = { ...errorResponses, 403: messageSchema } as const;

// ---- bodies and checks ----

function webhookBody(w: Webhook) {
  return {
    id: w.id,
    scope: { id: w.project_id, type: 'project' },
    name: w.name,
    events: w.events,
    url: w.url,
    'verify-tls': w.verify_tls,
    'signing-secret': maskEnvValue(w.signing_secret),
    'created-at': w.created_at,
    'updated-at': w.updated_at,
  };
}

function deliveryBody(d: Delivery) {
  return {
    id: d.id,
    event_id: d.event_id,
    event_type: d.event_type,
    status: d.status,
    attempts: Number(d.attempts),
    last_status_code: d.last_status_code === null ? null : Number(d.last_status_code),
    last_error: d.last_error,
    next_attempt_at: d.status === 'pending' ? d.next_attempt_at : null,
    created_at: d.created_at,
    updated_at: d.updated_at,
    delivered_at: d.delivered_at,
    payload: JSON.parse(d.payload) as Record<string, unknown>,
  };
}

/** Why a webhook URL is not acceptable, or undefined. http:// is allowed (self-hosted receivers). */
export function webhookUrlProblem(url: string): string | undefined {
  if (url.length > MAX_URL) return `must be ${MAX_URL} characters or fewer`;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'must be an absolute URL including its protocol (https://…)';
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return 'must be an https:// or http:// URL';
  if (u.username || u.password) return 'must not contain credentials';
  return undefined;
}

interface Fields {
  name?: string;
  events?: string[];
  url?: string;
  'signing-secret'?: string;
  'verify-tls'?: boolean;
}

function checkFields(f: Fields): void {
  if (f.name !== undefined) {
    if (f.name.trim() === '') throw new CircletError('WEBHOOK_NAME_EMPTY');
    if (f.name.length > MAX_NAME) throw new CircletError('FIELD_TOO_LONG', { max: MAX_NAME, field: 'name' });
  }
  if (f.events !== undefined && f.events.length === 0) throw new CircletError('WEBHOOK_EVENTS_EMPTY');
  if (f.url !== undefined) {
    const problem = webhookUrlProblem(f.url);
    if (problem) throw new CircletError('INVALID_BODY_FIELD', { problem, field: 'url' });
  }
  if (f['signing-secret'] !== undefined && f['signing-secret'].length > MAX_SECRET) {
    throw new CircletError('FIELD_TOO_LONG', { max: MAX_SECRET, field: 'signing-secret' });
  }
}

const uniqueEvents = (events: string[]) => [...new Set(events)] as WebhookEvent[];

/** The project a scope id names, when the caller is a member of its organization. */
async function visibleProject(deps: HttpDeps, req: FastifyRequest, id: string, field: string): Promise<ProjectWithOrg> {
  if (!UUID_RE.test(id)) throw new CircletError('INVALID_UUID', { field });
  const project = await getProject(deps.database.db, id);
  if (!project || !(await isMember(deps.database.db, project.organization_id, req.user.id))) throw new CircletError('PROJECT_NOT_FOUND');
  return project;
}

async function requireWebhook(deps: HttpDeps, req: FastifyRequest, id: string): Promise<Webhook> {
  if (!UUID_RE.test(id)) throw new CircletError('WEBHOOK_NOT_FOUND');
  const w = await getWebhook(deps.database.db, deps.secrets, id);
  if (!w) throw new CircletError('WEBHOOK_NOT_FOUND');
  const project = await getProject(deps.database.db, w.project_id);
  if (!project || !(await isMember(deps.database.db, project.organization_id, req.user.id))) throw new CircletError('WEBHOOK_NOT_FOUND');
  return w;
}

/** An audit event about webhook `w` (its name and id; never its URL or signing secret). */
async function auditWebhook(deps: HttpDeps, req: FastifyRequest, action: 'webhook.created' | 'webhook.updated' | 'webhook.deleted', w: { id: string; name: string; project_id: string }, detail = {}) {
  const project = await getProject(deps.database.db, w.project_id);
  if (project) await audit(deps, req, projectEvent(project, action, { type: 'webhook', id: w.id, name: w.name }, detail));
}

// ---- routes ----

export function webhookRoutes(app: FastifyInstance, deps: HttpDeps): void {
  app.post<{ Body: Required<Fields> & { scope: { id: string; type: string } } }>(
    '/webhook',
    {
      schema: { tags: ['Webhook'], operationId: 'createWebhook', body: createBody, response: { 201: webhookSchema, ...responses } },
      validatorCompiler: strictBodyValidator,
    },
    async (req, reply) => {
      const b = req.body;
      checkFields(b);
      const project = await visibleProject(deps, req, b.scope.id, "body field 'scope.id'");
      const created = await createWebhook(deps.database.db, deps.secrets, {
        projectId: project.id,
        name: b.name,
        url: b.url,
        verifyTls: b['verify-tls'],
        signingSecret: b['signing-secret'],
        events: uniqueEvents(b.events),
      });
      if (!created.ok) throw new CircletError('WEBHOOK_LIMIT', { max: MAX_WEBHOOKS_PER_PROJECT });
      await auditWebhook(deps, req, 'webhook.created', created.webhook);
      return reply.status(201).send(webhookBody(created.webhook));
    },
  );

  app.get<{ Querystring: { 'scope-id': string; 'scope-type': string } }>(
    '/webhook',
    { schema: { tags: ['Webhook'], operationId: 'getWebhooks', querystring: listQuery, response: { 200: webhookListSchema, ...responses } } },
    async (req) => {
      const project = await visibleProject(deps, req, req.query['scope-id'], "query field 'scope-id'");
      const items = await listWebhooks(deps.database.db, deps.secrets, project.id);
      return { items: items.map(webhookBody), next_page_token: null };
    },
  );

  app.get<{ Params: { webhook_id: string } }>(
    '/webhook/:webhook_id',
    { schema: { tags: ['Webhook'], operationId: 'getWebhookById', params: idParams, response: { 200: webhookSchema, ...responses } } },
    async (req) => webhookBody(await requireWebhook(deps, req, req.params.webhook_id)),
  );

  app.put<{ Params: { webhook_id: string }; Body: Fields | undefined }>(
    '/webhook/:webhook_id',
    {
      schema: { tags: ['Webhook'], operationId: 'updateWebhook', params: idParams, body: updateBody, response: { 200: webhookSchema, ...responses } },
      validatorCompiler: strictBodyValidator,
    },
    async (req) => {
      const w = await requireWebhook(deps, req, req.params.webhook_id);
      const b = req.body ?? {};
      checkFields(b);
      const updated = await updateWebhook(deps.database.db, deps.secrets, w.id, {
        name: b.name,
        url: b.url,
        verifyTls: b['verify-tls'],
        signingSecret: b['signing-secret'],
        events: b.events ? uniqueEvents(b.events) : undefined,
      });
      if (!updated) throw new CircletError('WEBHOOK_NOT_FOUND');
      await auditWebhook(deps, req, 'webhook.updated', updated, { fields: Object.keys(b).sort().join(',') });
      return webhookBody(updated);
    },
  );

  app.delete<{ Params: { webhook_id: string } }>(
    '/webhook/:webhook_id',
    { schema: { tags: ['Webhook'], operationId: 'deleteWebhook', params: idParams, response: { 200: messageSchema, ...responses } } },
    async (req) => {
      const w = await requireWebhook(deps, req, req.params.webhook_id);
      await deleteWebhook(deps.database.db, w.id);
      await auditWebhook(deps, req, 'webhook.deleted', w);
      return { message: 'Webhook deleted.' };
    },
  );

  app.get<{ Params: { webhook_id: string }; Querystring: { 'page-token'?: string } }>(
    '/webhook/:webhook_id/deliveries',
    {
      schema: {
        hide: true,
        params: idParams,
        querystring: { type: 'object', properties: { 'page-token': { type: 'string' } } },
        response: { 200: deliveryListSchema, ...responses },
      },
    },
    async (req) => {
      const w = await requireWebhook(deps, req, req.params.webhook_id);
      const token = req.query['page-token'];
      const before = token ? (decodePageToken(token, 2) as [string, string]) : undefined;
      if (before && (typeof before[0] !== 'string' || typeof before[1] !== 'string')) throw new CircletError('BAD_PAGE_TOKEN');
      const rows = await listDeliveries(deps.database.db, w.id, DELIVERY_PAGE_SIZE, before);
      const page = pageOf(rows, DELIVERY_PAGE_SIZE, (d) => [d.created_at, d.id]);
      return { items: page.items.map(deliveryBody), next_page_token: page.next_page_token };
    },
  );
}
