// OIDC tokens end to end: a real job (embedded agent, real processes) gets CIRCLE_OIDC_TOKEN
// and CIRCLE_OIDC_TOKEN_V2 and asks `circleci run oidc get` for one with extra claims; each
// is verified with jose against the JWKS the server publishes over HTTP, and seen to expire.
// Key rotation keeps the previous key published until its tokens can no longer be valid.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSecretBox } from '../../src/domain/secret-box.ts';
import { activeSigningKey, MAX_TTL_MS, publishedKeys, ROTATE_MS } from '../../src/engine/oidc/keys.ts';
import { findContextByName } from '../../src/storage/contexts.ts';
import { Harness } from '../agent/harness.ts';
import { startEmbeddedHarness, type EmbeddedHarness } from '../helpers/embedded-harness.ts';
import { databaseKinds } from '../helpers/databases.ts';

function config(out: string): string {
  return `
version: 2.1
jobs:
  build:
    machine: true
    steps:
      - run:
          name: tokens
          command: |
            printf '%s' "$CIRCLE_OIDC_TOKEN" > ${out}/v1
            printf '%s' "$CIRCLE_OIDC_TOKEN_V2" > ${out}/v2
            echo "token in output: $CIRCLE_OIDC_TOKEN"
            circleci run oidc get --claims '{"aud": "sts.example.com", "team": "payments"}' > ${out}/extra
            if circleci run oidc get --claims '{"sub": "forged"}' 2> ${out}/refused; then echo accepted > ${out}/refused; fi
workflows:
  main:
    jobs:
      - build: {context: [cloud]}
`;
}

for (const kind of databaseKinds()) {
  describe(`OIDC tokens for jobs (${kind.name})`, () => {
    let e: EmbeddedHarness;
    let h: Harness;
    let out: string;
    beforeAll(async () => {
      e = await startEmbeddedHarness(kind, 'circlet-oidc-out-');
      ({ h, out } = e);
    });
    afterAll(async () => e?.close());

    it('gives a job tokens a relying party verifies with the published JWKS, which expire', async () => {
      const { slug } = await h.project(config(out), { context: { name: 'cloud', env: { X: '1' } } });
      const project = (await h.server.call('GET', `/api/v2/project/${slug}`, h.token)).body;
      const orgId: string = project.organization_id;
      // The project's custom claims: its own audience and a two-hour lifetime.
      const patched = await h.server.call('PATCH', `/api/v2/org/${orgId}/project/${project.id}/oidc-custom-claims`, h.token, { audience: ['vault.example.com'], ttl: '2h' });
      expect(patched.status, patched.text).toBe(200);

      const pipelineId = await h.trigger(slug);
      await h.waitDone(pipelineId);
      const { build } = await h.jobs(pipelineId);
      expect(build.status, JSON.stringify(build)).toBe('success');
      const output = Harness.step(build, 'tokens').output;
      expect(output).toContain('token in output: ********');

      // Discovery over HTTP, as a relying party does it.
      const issuer = `${h.server.url}/org/${orgId}`;
      const discovery = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as { issuer: string; jwks_uri: string };
      expect(discovery.issuer).toBe(issuer);
      const jwks = createRemoteJWKSet(new URL(discovery.jwks_uri));

      const user = (await h.server.call('GET', '/api/v2/me', h.token)).body;
      const ctx = await findContextByName(h.server.database.db, orgId, 'cloud');
      const [v1, v2, extra] = ['v1', 'v2', 'extra'].map((f) => fs.readFileSync(path.join(out, f), 'utf8').trim());
      // A local repository's origin is its path (a forge's is host/org/repo).
      const origin: string = project.vcs_info.vcs_url;
      const sub = `org/${orgId}/project/${project.id}/user/${user.id}`;

      const one = await jwtVerify(v1!, jwks, { issuer, audience: 'vault.example.com', algorithms: ['ES256'] });
      expect(decodeProtectedHeader(v1!).kid).toBe(one.protectedHeader.kid);
      expect(one.payload.sub).toBe(sub);
      expect(one.payload['oidc.circleci.com/project-id']).toBe(project.id);
      expect(one.payload['oidc.circleci.com/context-ids']).toEqual([ctx!.id]);
      expect(one.payload['oidc.circleci.com/vcs-ref']).toBe('refs/heads/main');
      expect(one.payload['oidc.circleci.com/vcs-origin']).toBe(origin);
      expect(one.payload.exp! - one.payload.iat!).toBe(2 * 3600);

      const two = await jwtVerify(v2!, jwks, { issuer, audience: 'vault.example.com' });
      expect(two.payload.sub).toBe(`${sub}/vcs-origin/${origin}/vcs-ref/refs/heads/main`);

      const three = await jwtVerify(extra!, jwks, { issuer, audience: 'sts.example.com' });
      expect(three.payload.team).toBe('payments');
      expect(three.payload.sub).toBe(two.payload.sub);
      expect(fs.readFileSync(path.join(out, 'refused'), 'utf8')).toMatch(/400 the claim sub is set by circlet/);

      // A wrong audience, and the token after its expiry, are refused.
      await expect(jwtVerify(v1!, jwks, { issuer, audience: orgId })).rejects.toBeInstanceOf(errors.JWTClaimValidationFailed);
      await expect(jwtVerify(v1!, jwks, { issuer, currentDate: new Date((one.payload.exp! + 1) * 1000) })).rejects.toBeInstanceOf(errors.JWTExpired);
    });

    it('refuses the job API without a running task’s credential', async () => {
      const none = await fetch(`${h.server.url}/api/runner/v1/job/oidc-token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(none.status).toBe(401);
      const forged = Buffer.from(`${crypto.randomUUID()}:guess`).toString('base64');
      const wrong = await fetch(`${h.server.url}/api/runner/v1/job/oidc-token`, { method: 'POST', headers: { authorization: `Basic ${forged}`, 'content-type': 'application/json' }, body: '{}' });
      expect(wrong.status).toBe(401);
      expect(((await wrong.json()) as { message: string }).message).toMatch(/task credential/);
    });

    it('answers discovery for existing organizations only', async () => {
      expect((await fetch(`${h.server.url}/org/${crypto.randomUUID()}/.well-known/jwks-pub.json`)).status).toBe(404);
      expect((await fetch(`${h.server.url}/org/not-a-uuid/.well-known/openid-configuration`)).status).toBe(404);
    });

    it('rotates the signing key and keeps the old one published while its tokens may be valid', async () => {
      const db = h.server.database.db;
      const secrets = createSecretBox(crypto.randomBytes(32));
      const t0 = Date.parse('2030-01-01T00:00:00Z');
      const at = (ms: number) => ({ db, secrets, now: () => new Date(ms) });
      const first = await activeSigningKey(at(t0));
      expect((await activeSigningKey(at(t0 + ROTATE_MS - 1000))).kid).toBe(first.kid);
      const second = await activeSigningKey(at(t0 + ROTATE_MS + 1000));
      expect(second.kid).not.toBe(first.kid);
      const kids = (await publishedKeys(at(t0 + ROTATE_MS + 1000))).keys.map((k) => k.kid);
      expect(kids).toEqual(expect.arrayContaining([first.kid, second.kid]));
      // No private material in the published set.
      expect(JSON.stringify(await publishedKeys(at(t0 + ROTATE_MS + 1000)))).not.toMatch(/"d":/);
      const later = t0 + 2 * ROTATE_MS + MAX_TTL_MS + 2000;
      const third = await activeSigningKey(at(later));
      expect((await publishedKeys(at(later))).keys.map((k) => k.kid)).not.toContain(first.kid);
      const row = await db.selectFrom('oidc_signing_keys').selectAll().where('kid', '=', third.kid).executeTakeFirst();
      expect(row?.private_jwk_sealed.startsWith('v1:')).toBe(true);
      expect(row?.private_jwk_sealed).not.toContain('"d"');
    });
  });
}
