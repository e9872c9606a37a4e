// API v1.1 project settings: environment variables, checkout keys and additional SSH keys, in
// v1.1's shapes. Env vars and checkout keys
// are the same records v2's envvar and checkout-key routes show: a variable made through one
// API is seen through the other.
import type { FastifyInstance } from 'fastify';
import { CircletError } from '../../domain/errors.ts';
import { maskEnvValue } from '../../domain/env-mask.ts';
import { createCheckoutKey, deleteCheckoutKey, findCheckoutKey, listCheckoutKeys, preferredCheckoutKeyId, type CheckoutKey } from '../../storage/checkout-keys.ts';
import { deleteEnvVar, getEnvVar, listEnvVars, putEnvVar, type EnvVar } from '../../storage/env-vars.ts';
import { audit, projectEvent } from '../audit.ts';
import type { HttpDeps } from '../deps.ts';
import { BadPrivateKey, privateKeyFingerprints } from '../../domain/ssh-keys.ts';
import { addSshKey, deleteSshKey } from '../../storage/additional-ssh-keys.ts';
import { strictBodyValidator } from '../schemas/validation.ts';
import { requireV1Project, v1ProjectParams, type V1Params } from './services/builds.ts';

/** v1.1 lists every variable at once; circlet reads them in pages of this size. */
const ALL = 10_000;
const NAME = '^[A-Za-z_][A-Za-z0-9_]*$';

const envVarBody = (v: EnvVar) => ({ name: v.name, value: maskEnvValue(v.value) });

function checkoutKeyBody(k: CheckoutKey, preferredId: string | undefined) {
  return {
    public_key: k.public_key,
    type: k.type === 'user-key' ? 'github-user-key' : 'deploy-key',
    fingerprint: k.fingerprint_md5,
    preferred: k.id === preferredId,
    time: k.created_at,
  };
}

const withParam = (name: string) =>
  ({ type: 'object', properties: { ...v1ProjectParams.properties, [name]: { type: 'string' } }, required: [...v1ProjectParams.required, name] }) as const;

export function v1SettingsRoutes(app: FastifyInstance, deps: HttpDeps): void {
  app.setValidatorCompiler(strictBodyValidator);
  const base = '/project/:vcs/:org/:repo';

  app.get<{ Params: V1Params }>(`${base}/envvar`, { schema: { params: v1ProjectParams } }, async (req) => {
    const project = await requireV1Project(deps, req, req.params);
    return (await listEnvVars(deps.database.db, deps.secrets, project.id, ALL)).map(envVarBody);
  });

  app.post<{ Params: V1Params; Body: { name: string; value: string } }>(
    `${base}/envvar`,
    {
      schema: {
        params: v1ProjectParams,
        body: {
          type: 'object',
          properties: { name: { type: 'string', minLength: 1, maxLength: 256, pattern: NAME }, value: { type: 'string', maxLength: 65536 } },
          required: ['name', 'value'],
          additionalProperties: false,
        },
      },
    },
    async (req) => {
      const project = await requireV1Project(deps, req, req.params);
      const v = await putEnvVar(deps.database.db, deps.secrets, project.id, req.body.name, req.body.value);
      await audit(deps, req, projectEvent(project, 'env_var.created', { type: 'env_var', name: v.name }));
      return envVarBody(v);
    },
  );

  app.get<{ Params: V1Params & { name: string } }>(`${base}/envvar/:name`, { schema: { params: withParam('name') } }, async (req) => {
    const project = await requireV1Project(deps, req, req.params);
    const v = await getEnvVar(deps.database.db, deps.secrets, project.id, req.params.name);
    if (!v) throw new CircletError('ENV_VAR_NOT_FOUND');
    return envVarBody(v);
  });

  app.delete<{ Params: V1Params & { name: string } }>(`${base}/envvar/:name`, { schema: { params: withParam('name') } }, async (req) => {
    const project = await requireV1Project(deps, req, req.params);
    if (!(await deleteEnvVar(deps.database.db, project.id, req.params.name))) throw new CircletError('ENV_VAR_NOT_FOUND');
    await audit(deps, req, projectEvent(project, 'env_var.deleted', { type: 'env_var', name: req.params.name }));
    return { message: 'OK' };
  });

  app.get<{ Params: V1Params }>(`${base}/checkout-key`, { schema: { params: v1ProjectParams } }, async (req) => {
    const project = await requireV1Project(deps, req, req.params);
    const preferredId = await preferredCheckoutKeyId(deps.database.db, project.id);
    return (await listCheckoutKeys(deps.database.db, project.id)).map((k) => checkoutKeyBody(k, preferredId));
  });

  app.post<{ Params: V1Params; Body: { type: 'deploy-key' | 'github-user-key' } }>(
    `${base}/checkout-key`,
    {
      schema: {
        params: v1ProjectParams,
        body: { type: 'object', properties: { type: { type: 'string', enum: ['deploy-key', 'github-user-key'] } }, required: ['type'], additionalProperties: false },
      },
    },
    async (req) => {
      const project = await requireV1Project(deps, req, req.params);
      const key = await createCheckoutKey(deps.database.db, deps.secrets, project.id, req.body.type === 'github-user-key' ? 'user-key' : 'deploy-key');
      await audit(deps, req, projectEvent(project, 'checkout_key.created', { type: 'checkout_key', id: key.id, name: key.fingerprint_sha256 }, { key_type: key.type }));
      return checkoutKeyBody(key, await preferredCheckoutKeyId(deps.database.db, project.id));
    },
  );

  const requireKey = async (req: { params: V1Params & { fingerprint: string } } & Parameters<typeof requireV1Project>[1]) => {
    const project = await requireV1Project(deps, req, req.params);
    const key = await findCheckoutKey(deps.database.db, project.id, req.params.fingerprint);
    if (!key) throw new CircletError('CHECKOUT_KEY_NOT_FOUND');
    return { project, key };
  };

  app.get<{ Params: V1Params & { fingerprint: string } }>(`${base}/checkout-key/:fingerprint`, { schema: { params: withParam('fingerprint') } }, async (req) => {
    const { project, key } = await requireKey(req);
    return checkoutKeyBody(key, await preferredCheckoutKeyId(deps.database.db, project.id));
  });

  app.delete<{ Params: V1Params & { fingerprint: string } }>(`${base}/checkout-key/:fingerprint`, { schema: { params: withParam('fingerprint') } }, async (req) => {
    const { project, key } = await requireKey(req);
    await deleteCheckoutKey(deps.database.db, key.id);
    await audit(deps, req, projectEvent(project, 'checkout_key.deleted', { type: 'checkout_key', id: key.id, name: key.fingerprint_sha256 }, { key_type: key.type }));
    return { message: 'OK' };
  });

  // Additional SSH keys: a private key for a host the project's jobs reach over SSH. Both
  // answer 200 with no body, as CircleCI does; the private key is never answered.
  const HOSTNAME = '^[A-Za-z0-9*?.:_\\[\\]-]+$';
  app.post<{ Params: V1Params; Body: { hostname: string; private_key: string } }>(
    `${base}/ssh-key`,
    {
      schema: {
        params: v1ProjectParams,
        body: {
          type: 'object',
          properties: { hostname: { type: 'string', minLength: 1, maxLength: 255, pattern: HOSTNAME }, private_key: { type: 'string', minLength: 1, maxLength: 65536 } },
          required: ['hostname', 'private_key'],
          additionalProperties: false,
        },
      },
    },
    async (req, reply) => {
      const project = await requireV1Project(deps, req, req.params);
      let fp: { md5: string; sha256: string };
      try {
        fp = privateKeyFingerprints(req.body.private_key);
      } catch (err) {
        if (err instanceof BadPrivateKey) throw new CircletError('SSH_PRIVATE_KEY_INVALID', { reason: err.message });
        throw err;
      }
      await addSshKey(deps.database.db, deps.secrets, project.id, { hostname: req.body.hostname, fingerprint_md5: fp.md5, fingerprint_sha256: fp.sha256, privateKey: req.body.private_key });
      await audit(deps, req, projectEvent(project, 'ssh_key.created', { type: 'ssh_key', name: fp.sha256 }, { hostname: req.body.hostname }));
      return reply.code(200).send();
    },
  );

  app.delete<{ Params: V1Params; Body: { fingerprint: string; hostname?: string } }>(
    `${base}/ssh-key`,
    {
      schema: {
        params: v1ProjectParams,
        body: {
          type: 'object',
          properties: { fingerprint: { type: 'string', minLength: 1, maxLength: 128 }, hostname: { type: 'string', maxLength: 255 } },
          required: ['fingerprint'],
          additionalProperties: false,
        },
      },
    },
    async (req, reply) => {
      const project = await requireV1Project(deps, req, req.params);
      const hostname = req.body.hostname === '' ? undefined : req.body.hostname;
      if ((await deleteSshKey(deps.database.db, project.id, req.body.fingerprint.replace(/^MD5:/, ''), hostname)) === 0) throw new CircletError('SSH_KEY_NOT_FOUND');
      await audit(deps, req, projectEvent(project, 'ssh_key.deleted', { type: 'ssh_key', name: req.body.fingerprint }, { hostname: hostname ?? null }));
      return reply.code(200).send();
    },
  );
}
