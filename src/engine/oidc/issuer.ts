// OIDC ID tokens for jobs, with CircleCI's claims (docs/oidc.md): issuer
// `<server URL>/org/<org id>`, audience the org id (or the org's/project's custom audience),
// subject in both CircleCI formats (CIRCLE_OIDC_TOKEN and CIRCLE_OIDC_TOKEN_V2), and the
// `oidc.circleci.com/*` claims. `circleci run oidc get --claims` adds claims of its own.
import { SignJWT, type JWK, type JWTPayload } from 'jose';
import { parseDuration } from '../../domain/duration.ts';
import { findContextByName } from '../../storage/contexts.ts';
import { getJob, getTask } from '../../storage/jobs.ts';
import { getCustomClaims } from '../../storage/oidc.ts';
import { getPipeline } from '../../storage/pipelines.ts';
import { getProject } from '../../storage/projects.ts';
import type { EngineDeps } from '../deps.ts';
import { ENABLE_SSH_FIELD } from '../pipeline/rerun.ts';
import { activeSigningKey, MAX_TTL_MS, OIDC_ALG, publishedKeys, type ActiveKey } from './keys.ts';

export const DEFAULT_TTL_MS = 3_600_000;
/** Claims a caller of `oidc get` may not set: they are what a relying party trusts. */
const RESERVED = new Set(['iss', 'sub', 'iat', 'nbf', 'exp', 'jti']);
const RESERVED_PREFIX = 'oidc.circleci.com/';

export class ClaimsRefused extends Error {}

/** `github.com/acme/repo` from `https://github.com/acme/repo.git` (the path for local repositories). */
export function vcsOrigin(vcsUrl: string): string {
  const scp = /^[^@/]+@([^:]+):(.+)$/.exec(vcsUrl);
  const bare = scp ? `${scp[1]}/${scp[2]}` : vcsUrl.replace(/^[a-z+]+:\/\/([^@/]*@)?/i, '');
  return bare.replace(/\.git$/, '').replace(/\/+$/, '');
}

export class OidcIssuer {
  private cached?: { key: ActiveKey; until: number };

  constructor(private readonly deps: EngineDeps) {}

  issuerOf(organizationId: string): string {
    return `${this.deps.baseUrl}/org/${organizationId}`;
  }

  discovery(organizationId: string): Record<string, unknown> {
    const issuer = this.issuerOf(organizationId);
    return {
      issuer,
      jwks_uri: `${issuer}/.well-known/jwks-pub.json`,
      response_types_supported: ['id_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: [OIDC_ALG],
      claims_supported: ['aud', 'iss', 'sub', 'iat', 'exp', 'oidc.circleci.com/project-id', 'oidc.circleci.com/context-ids', 'oidc.circleci.com/vcs-origin', 'oidc.circleci.com/vcs-ref', 'oidc.circleci.com/ssh-rerun', 'oidc.circleci.com/org-id', 'oidc.circleci.com/pipeline-id', 'oidc.circleci.com/workflow-id', 'oidc.circleci.com/job-id'],
    };
  }

  async jwks(): Promise<{ keys: JWK[] }> {
    return publishedKeys(this.keyOptions());
  }

  /** Both tokens of a task: CIRCLE_OIDC_TOKEN and CIRCLE_OIDC_TOKEN_V2. */
  async tokensForTask(taskId: string): Promise<{ CIRCLE_OIDC_TOKEN: string; CIRCLE_OIDC_TOKEN_V2: string }> {
    const base = await this.baseClaims(taskId);
    return {
      CIRCLE_OIDC_TOKEN: await this.sign({ ...base.claims, sub: base.subV1 }, base.ttlMs),
      CIRCLE_OIDC_TOKEN_V2: await this.sign({ ...base.claims, sub: base.subV2 }, base.ttlMs),
    };
  }

  /** A V2 token with the caller's extra claims (`circleci run oidc get --claims`); `aud` may be replaced. */
  async tokenWithClaims(taskId: string, extra: Record<string, unknown>): Promise<string> {
    for (const name of Object.keys(extra)) {
      if (RESERVED.has(name) || name.startsWith(RESERVED_PREFIX)) throw new ClaimsRefused(`the claim ${name} is set by circlet and cannot be overridden`);
    }
    const aud = extra.aud;
    if (aud !== undefined && typeof aud !== 'string' && !(Array.isArray(aud) && aud.length > 0 && aud.every((a) => typeof a === 'string'))) {
      throw new ClaimsRefused('the claim aud must be a string or a non-empty array of strings');
    }
    const base = await this.baseClaims(taskId);
    return this.sign({ ...base.claims, ...extra, sub: base.subV2 }, base.ttlMs);
  }

  private keyOptions() {
    return { db: this.deps.database.db, secrets: this.deps.secrets, now: this.deps.now };
  }

  private async sign(claims: JWTPayload, ttlMs: number): Promise<string> {
    const now = this.deps.now().getTime();
    if (!this.cached || this.cached.until <= now) this.cached = { key: await activeSigningKey(this.keyOptions()), until: now + 60_000 };
    const iat = Math.floor(now / 1000);
    return new SignJWT(claims)
      .setProtectedHeader({ alg: OIDC_ALG, kid: this.cached.key.kid, typ: 'JWT' })
      .setIssuedAt(iat)
      .setExpirationTime(iat + Math.max(1, Math.floor(ttlMs / 1000)))
      .sign(this.cached.key.key);
  }

  private async baseClaims(taskId: string) {
    const db = this.deps.database.db;
    const task = await getTask(db, taskId);
    const job = task && (await getJob(db, task.job_id));
    const pipeline = job && (await getPipeline(db, job.pipeline_id));
    const project = job && (await getProject(db, job.project_id));
    if (!task || !job || !pipeline || !project) throw new Error(`task ${taskId} not found`);
    const orgId = project.organization_id;
    const [orgClaims, projectClaims] = await Promise.all([getCustomClaims(db, orgId), getCustomClaims(db, orgId, project.id)]);
    const contextIds: string[] = [];
    for (const name of JSON.parse(job.contexts) as string[]) {
      const ctx = await findContextByName(db, orgId, name);
      if (ctx) contextIds.push(ctx.id);
    }
    const audience = projectClaims.audience ?? orgClaims.audience;
    const ttlText = projectClaims.ttl ?? orgClaims.ttl;
    const ttlMs = Math.min(MAX_TTL_MS, (ttlText && parseDuration(ttlText)) || DEFAULT_TTL_MS);
    const origin = vcsOrigin(project.vcs_url);
    const ref = pipeline.tag ? `refs/tags/${pipeline.tag}` : pipeline.branch ? `refs/heads/${pipeline.branch}` : '';
    const user = pipeline.trigger_actor_id ?? '';
    const document = JSON.parse(job.config) as Record<string, unknown>;
    const claims: JWTPayload = {
      iss: this.issuerOf(orgId),
      aud: audience && audience.length > 0 ? (audience.length === 1 ? audience[0]! : audience) : orgId,
      'oidc.circleci.com/org-id': orgId,
      'oidc.circleci.com/project-id': project.id,
      'oidc.circleci.com/context-ids': contextIds,
      'oidc.circleci.com/vcs-origin': origin,
      'oidc.circleci.com/vcs-ref': ref,
      'oidc.circleci.com/ssh-rerun': document[ENABLE_SSH_FIELD] === true,
      'oidc.circleci.com/pipeline-id': pipeline.id,
      'oidc.circleci.com/workflow-id': job.workflow_id,
      'oidc.circleci.com/job-id': job.id,
    };
    const subV1 = `org/${orgId}/project/${project.id}/user/${user}`;
    return { claims, ttlMs, subV1, subV2: `${subV1}/vcs-origin/${origin}/vcs-ref/${ref}` };
  }
}
