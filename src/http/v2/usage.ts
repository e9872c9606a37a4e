// Usage tag: an organization's job usage for a date range, exported in the background
// (engine/services/usage-export.ts) into gzipped CSV files in CircleCI's column layout. The
// job's download URLs are presigned (an HMAC of the file and its expiry), as CircleCI's are.
import crypto from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { newId, nowIso, UUID_RE } from '../../domain/clock.ts';
import { usageFileKey } from '../../engine/services/usage-export.ts';
import { getOrganization, isMember, type Organization } from '../../storage/organizations.ts';
import { getUsageExport, insertUsageExport, type UsageExport } from '../../storage/usage-exports.ts';
import type { HttpDeps } from '../deps.ts';
import { CircletError } from '../errors.ts';
import { messageSchema } from '../schemas/common.ts';
import { strictBodyValidator } from '../schemas/validation.ts';

/** CircleCI's limit: one export covers at most 32 days. */
const MAX_SPAN_MS = 32 * 24 * 3600_000;
/** How long a download URL stays valid. */
export const DOWNLOAD_URL_TTL_MS = 60 * 60_000;

const errors = { 400: messageSchema, 401: messageSchema, 404: messageSchema } as const;
const orgParams = { type: 'object', properties: { org_id: { type: 'string' } }, required: ['org_id'] } as const;
const jobParams = {
  type: 'object',
  properties: { org_id: { type: 'string' }, usage_export_job_id: { type: 'string' } },
  required: ['org_id', 'usage_export_job_id'],
} as const;
const createBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    start: { type: 'string', format: 'date-time' },
    end: { type: 'string', format: 'date-time' },
    shared_org_ids: { type: 'array', maxItems: 50, items: { type: 'string', format: 'uuid' } },
  },
  required: ['start', 'end'],
} as const;
const urls = { type: 'array', items: { type: 'string', format: 'uri' } } as const;
const state = { type: 'string', enum: ['created', 'processing', 'failed', 'completed'] } as const;
const createdSchema = {
  type: 'object',
  properties: { usage_export_job_id: { type: 'string', format: 'uuid' }, state, start: { type: 'string' }, end: { type: 'string' }, download_urls: urls },
  required: ['usage_export_job_id', 'state', 'start', 'end', 'download_urls'],
} as const;
const statusSchema = {
  type: 'object',
  properties: { usage_export_job_id: { type: 'string', format: 'uuid' }, state, download_urls: urls, error_reason: { type: 'string' } },
  required: ['usage_export_job_id', 'state', 'download_urls'],
} as const;

function sign(deps: HttpDeps, id: string, file: number, expires: number): string {
  return deps.secrets.mac(`usage-export:${id}:${file}:${expires}`);
}

function downloadUrls(deps: HttpDeps, e: UsageExport, now = Date.now()): string[] {
  if (e.state !== 'completed') return [];
  const expires = now + DOWNLOAD_URL_TTL_MS;
  const base = `${deps.engine.baseUrl.replace(/\/+$/, '')}/api/v2/organizations/${e.organization_id}/usage_export_job/${e.id}/files`;
  return Array.from({ length: e.file_count }, (_, i) => `${base}/${i}?expires=${expires}&sig=${sign(deps, e.id, i, expires)}`);
}

async function requireOrganization(deps: HttpDeps, req: FastifyRequest, id: string): Promise<Organization> {
  const org = UUID_RE.test(id) ? await getOrganization(deps.database.db, id.toLowerCase()) : undefined;
  if (!org || !(await isMember(deps.database.db, org.id, req.user.id))) throw new CircletError('ORGANIZATION_NOT_FOUND');
  return org;
}

export function usageRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const tags = ['Usage'];
  const db = deps.database.db;
  app.setValidatorCompiler(strictBodyValidator);

  app.post<{ Params: { org_id: string }; Body: { start: string; end: string; shared_org_ids?: string[] } }>(
    '/organizations/:org_id/usage_export_job',
    { schema: { tags, operationId: 'createUsageExport', params: orgParams, body: createBody, response: { 201: createdSchema, ...errors } } },
    async (req, reply) => {
      const org = await requireOrganization(deps, req, req.params.org_id);
      const start = new Date(req.body.start);
      const end = new Date(req.body.end);
      if (!(start.getTime() < end.getTime())) throw new CircletError('USAGE_START_AFTER_END');
      if (end.getTime() - start.getTime() > MAX_SPAN_MS) throw new CircletError('USAGE_SPAN_TOO_LONG');
      const orgIds = [org.id];
      for (const shared of req.body.shared_org_ids ?? []) {
        const id = shared.toLowerCase();
        if (orgIds.includes(id)) continue;
        const other = await getOrganization(db, id);
        if (!other || !(await isMember(db, other.id, req.user.id))) throw new CircletError('USAGE_SHARED_ORG_NOT_FOUND', { shared });
        orgIds.push(id);
      }
      const now = nowIso();
      const row: UsageExport = {
        id: newId(),
        organization_id: org.id,
        start_at: start.toISOString(),
        end_at: end.toISOString(),
        organization_ids: JSON.stringify(orgIds),
        state: 'created',
        file_count: 0,
        row_count: 0,
        error_reason: null,
        lease_until: null,
        attempts: 0,
        created_at: now,
        updated_at: now,
      };
      await insertUsageExport(db, row);
      deps.engine.usageExportCreated();
      return reply.status(201).send({ usage_export_job_id: row.id, state: row.state, start: row.start_at, end: row.end_at, download_urls: [] });
    },
  );

  app.get<{ Params: { org_id: string; usage_export_job_id: string } }>(
    '/organizations/:org_id/usage_export_job/:usage_export_job_id',
    { schema: { tags, operationId: 'getUsageExport', params: jobParams, response: { 200: statusSchema, ...errors } } },
    async (req) => {
      const org = await requireOrganization(deps, req, req.params.org_id);
      const id = req.params.usage_export_job_id.toLowerCase();
      const e = UUID_RE.test(id) ? await getUsageExport(db, org.id, id) : undefined;
      if (!e) throw new CircletError('USAGE_EXPORT_NOT_FOUND');
      return {
        usage_export_job_id: e.id,
        state: e.state,
        download_urls: downloadUrls(deps, e),
        ...(e.error_reason !== null ? { error_reason: e.error_reason } : {}),
      };
    },
  );

  // A download URL: presigned, so any HTTP client can fetch it without a token.
  app.get<{ Params: { org_id: string; usage_export_job_id: string; file: string }; Querystring: { expires?: string; sig?: string } }>(
    '/organizations/:org_id/usage_export_job/:usage_export_job_id/files/:file',
    { config: { public: true }, schema: { hide: true } },
    async (req, reply) => {
      const { org_id, usage_export_job_id: id, file } = req.params;
      const index = /^\d{1,6}$/.test(file) ? Number(file) : -1;
      const expires = Number(req.query.expires);
      const sig = typeof req.query.sig === 'string' ? req.query.sig : '';
      const want = index >= 0 && Number.isSafeInteger(expires) ? sign(deps, id, index, expires) : '';
      const ok = want !== '' && sig.length === want.length && crypto.timingSafeEqual(Buffer.from(sig), Buffer.from(want));
      if (!ok) throw new CircletError('USAGE_EXPORT_FILE_NOT_FOUND');
      if (expires < Date.now()) throw new CircletError('USAGE_DOWNLOAD_EXPIRED');
      const e = UUID_RE.test(org_id) ? await getUsageExport(db, org_id.toLowerCase(), id) : undefined;
      const blob = e && e.state === 'completed' && index < e.file_count ? await deps.engine.blobs.get(usageFileKey(id, index)) : undefined;
      if (!blob) throw new CircletError('USAGE_EXPORT_FILE_NOT_FOUND');
      return reply
        .header('content-type', 'application/gzip')
        .header('content-length', String(blob.size))
        .header('content-disposition', `attachment; filename="usage-${id}-${index}.csv.gz"`)
        .send(blob.body);
    },
  );
}
