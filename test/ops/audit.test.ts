// The audit log over real HTTP on SQLite and PostgreSQL: the actions that change
// security-relevant state leave an event with actor, time, target and outcome; organization
// admins read them through the API (paged, `since`); values never reach a row; the sweeper
// drops events past retention; `circlet audit` prints them as JSON lines and CSV.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAuditEvents } from '../../src/storage/audit.ts';
import { recordAudit } from '../../src/engine/services/audit.ts';
import { databaseKinds } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const SECRET_VALUES = ['s3cr3t-project-value-91f2', 'c0ntext-value-77ab', 'hook-signing-secret-5e1d'];

for (const kind of databaseKinds()) {
  describe(`audit log (${kind.name})`, () => {
    let s: TestServer;
    let admin: string;
    let member: string;
    let outsider: string;
    let orgId: string;
    let projectId: string;
    const events = async (query = '', token = admin) => {
      const res = await s.call('GET', `/api/v2/organization/${orgId}/audit-log${query}`, token);
      expect(res.status, res.text).toBe(200);
      return res.body as { items: any[]; next_page_token: string | null };
    };

    beforeAll(async () => {
      s = await startTestServer(kind);
      admin = (await s.user('alice', 'acme')).token;
      const bob = await s.user('bob');
      member = bob.token;
      outsider = (await s.user('mallory', 'evil')).token;
      const project = await s.project('gh/acme/app');
      projectId = project.id;
      orgId = project.organization_id;
      const { addMember } = await import('../../src/storage/organizations.ts');
      await addMember(s.database.db, orgId, bob.user.id, 'contributor');
    });
    afterAll(async () => s?.close());

    it('records each security-relevant action with actor, target and outcome, names only', async () => {
      const slug = 'gh/acme/app';
      const ok = (r: { status: number; text: string }, code = 200) => expect(r.status, r.text).toBe(code);
      ok(await s.call('POST', `/api/v2/project/${slug}/envvar`, admin, { name: 'DEPLOY_KEY', value: SECRET_VALUES[0] }), 201);
      ok(await s.call('DELETE', `/api/v2/project/${slug}/envvar/DEPLOY_KEY`, admin));
      const ctx = await s.call('POST', '/api/v2/context', admin, { name: 'prod', owner: { slug: 'gh/acme', type: 'organization' } });
      ok(ctx);
      ok(await s.call('PUT', `/api/v2/context/${ctx.body.id}/environment-variable/DB_PASSWORD`, admin, { value: SECRET_VALUES[1] }));
      const key = await s.call('POST', `/api/v2/project/${slug}/checkout-key`, admin, { type: 'deploy-key' });
      ok(key, 201);
      const hook = await s.call('POST', '/api/v2/webhook', admin, {
        name: 'notify', events: ['workflow-completed'], url: 'https://example.invalid/hook', 'verify-tls': true,
        'signing-secret': SECRET_VALUES[2], scope: { id: projectId, type: 'project' },
      });
      ok(hook, 201);
      ok(await s.call('PUT', `/api/v2/webhook/${hook.body.id}`, admin, { 'signing-secret': SECRET_VALUES[2] + 'x' }));
      const schedule = await s.call('POST', `/api/v2/project/${slug}/schedule`, admin, {
        name: 'nightly', 'attribution-actor': 'current', parameters: { branch: 'main' }, timetable: { 'per-hour': 1, 'hours-of-day': [3], 'days-of-week': ['MON'] },
      });
      ok(schedule, 201);
      ok(await s.call('DELETE', `/api/v2/schedule/${schedule.body.id}`, admin));
      // A member who is not an admin may not delete the project: recorded as a failure.
      expect((await s.call('DELETE', `/api/v2/project/${slug}`, member)).status).toBe(403);
      // A personal token made and revoked through the API (the dashboard's tokens page).
      const made = await s.call('POST', '/api/v1.1/user/token', admin, { label: 'laptop' });
      ok(made, 201);
      ok(await s.call('DELETE', `/api/v1.1/user/token/${made.body.id}`, admin));
      // Dashboard sign-in: a wrong token fails, the right one succeeds.
      expect((await s.call('POST', '/auth/sign-in', undefined, { token: 'f'.repeat(40) })).status).toBe(401);
      ok(await s.call('POST', '/auth/sign-in', undefined, { token: admin }));

      const { items } = await events();
      const actions = items.map((e) => e.action);
      for (const a of ['env_var.created', 'env_var.deleted', 'context.created', 'context.env_var_set', 'checkout_key.created', 'webhook.created', 'webhook.updated', 'schedule.created', 'schedule.deleted', 'project.deleted', 'dashboard.sign_in', 'api_token.created', 'api_token.revoked']) {
        expect(actions, a).toContain(a);
      }
      // Newest first.
      const times = items.map((e) => e.occurred_at);
      expect([...times].sort().reverse()).toEqual(times);
      const env = items.find((e) => e.action === 'env_var.created')!;
      expect(env).toMatchObject({ actor: { login: 'alice' }, target: { type: 'env_var', name: 'DEPLOY_KEY' }, outcome: 'success', source: 'api', organization_id: orgId, detail: { project: slug } });
      expect(env.ip).toBe('127.0.0.1');
      expect(items.find((e) => e.action === 'context.env_var_set')).toMatchObject({ target: { type: 'context', name: 'prod' }, detail: { env_var: 'DB_PASSWORD' } });
      expect(items.find((e) => e.action === 'checkout_key.created')!.target.name).toMatch(/^SHA256:/);
      expect(items.find((e) => e.action === 'project.deleted')).toMatchObject({ actor: { login: 'bob' }, outcome: 'failure' });
      expect(items.find((e) => e.action === 'dashboard.sign_in')).toMatchObject({ actor: { login: 'alice' }, source: 'dashboard', outcome: 'success' });
      expect(items.find((e) => e.action === 'webhook.updated')!.detail).toEqual({ project: slug, fields: 'signing-secret' });
    });

    it('records resource classes and runner tokens managed through the runner API v3, never the token', async () => {
      const ok = (r: { status: number; text: string }) => expect(r.status, r.text).toBe(200);
      const rc = await s.call('POST', '/api/v3/runner/resource', admin, { resource_class: 'acme/v3-box', description: 'boxes' });
      ok(rc);
      const made = await s.call('POST', '/api/v3/runner/token', admin, { resource_class: 'acme/v3-box', nickname: 'box 1' });
      ok(made);
      ok(await s.call('DELETE', `/api/v3/runner/token/${made.body.id}`, admin));
      const spare = await s.call('POST', '/api/v3/runner/token', admin, { resource_class: 'acme/v3-box', nickname: 'spare' });
      ok(spare);
      // Refused (a contributor may not manage classes): nothing recorded.
      expect((await s.call('POST', '/api/v3/runner/token', member, { resource_class: 'acme/v3-box', nickname: 'sneaky' })).status).toBe(403);
      ok(await s.call('DELETE', `/api/v3/runner/resource/${rc.body.id}/force`, admin));

      const mine = (await events()).items.filter((e) => e.target.type === 'resource_class' || e.target.type === 'runner_token');
      const summary = mine.map((e) => `${e.action} ${e.target.name}`).reverse();
      expect(summary).toEqual(['resource_class.created acme/v3-box', 'runner_token.created box 1', 'runner_token.revoked box 1', 'runner_token.created spare', 'resource_class.deleted acme/v3-box']);
      for (const e of mine) expect(e).toMatchObject({ actor: { login: 'alice' }, source: 'api', outcome: 'success', organization_id: orgId });
      expect(mine.find((e) => e.action === 'runner_token.revoked')).toMatchObject({ target: { id: made.body.id }, detail: { resource_class: 'acme/v3-box' } });
      expect(mine.find((e) => e.action === 'resource_class.deleted')).toMatchObject({ target: { id: rc.body.id }, detail: { force: true } });
      const text = JSON.stringify(await listAuditEvents(s.database.db, { limit: 10_000 }));
      expect(text).not.toContain(made.body.token);
      expect(text).not.toContain(spare.body.token);
    });

    it('never stores a secret value in any audit row', async () => {
      const rows = await listAuditEvents(s.database.db, { limit: 10_000 });
      expect(rows.length).toBeGreaterThan(5);
      const text = JSON.stringify(rows);
      for (const v of SECRET_VALUES) expect(text).not.toContain(v);
      expect(text).not.toContain(admin);
      const made = rows.find((r) => r.action === 'api_token.created' && r.detail.includes('laptop'));
      expect(made).toBeDefined();
      // The failed sign-in is kept (no actor), visible to the server's operator (all events).
      expect(rows.find((r) => r.action === 'dashboard.sign_in' && r.outcome === 'failure')).toMatchObject({ actor_id: null, organization_id: null });
    });

    it('is for organization admins only: 403 for a member, 404 for anyone else, 400 for bad input', async () => {
      const m = await s.call('GET', `/api/v2/organization/${orgId}/audit-log`, member);
      expect(m.status).toBe(403);
      expect(m.body.message).toMatch(/admins/);
      expect((await s.call('GET', `/api/v2/organization/${orgId}/audit-log`, outsider)).status).toBe(404);
      expect((await s.call('GET', `/api/v2/organization/${orgId}/audit-log`)).status).toBe(401);
      const bySlug = await s.call('GET', '/api/v2/organization/gh/acme/audit-log', admin);
      expect(bySlug.status).toBe(200);
      expect(bySlug.body.items.length).toBeGreaterThan(0);
      const badSince = await s.call('GET', `/api/v2/organization/${orgId}/audit-log?since=yesterday`, admin);
      expect(badSince.status).toBe(400);
      expect(badSince.body.message).toMatch(/since/);
      expect((await s.call('GET', `/api/v2/organization/${orgId}/audit-log?page-token=garbage!`, admin)).status).toBe(400);
    });

    it('pages with page-token and filters with since; other organizations’ events stay out', async () => {
      const base = new Date('2020-01-01T00:00:00.000Z');
      for (let i = 0; i < 130; i++) {
        await recordAudit(s.database.db, { id: null, login: null, source: 'cli' }, { action: 'resource_class.created', organizationId: orgId, target: { type: 'resource_class', name: `acme/rc-${i}` } }, new Date(base.getTime() + i * 1000));
      }
      const other = (await s.project('gh/evil/x')).organization_id;
      await recordAudit(s.database.db, { id: null, login: null, source: 'cli' }, { action: 'resource_class.created', organizationId: other, target: { type: 'resource_class', name: 'evil/rc' } });
      const seen: string[] = [];
      let token: string | null = null;
      let pages = 0;
      do {
        const page = await events(token ? `?page-token=${token}` : '');
        seen.push(...page.items.map((e) => e.id));
        token = page.next_page_token;
        pages++;
      } while (token);
      expect(pages).toBe(2);
      expect(new Set(seen).size).toBe(seen.length);
      const all = await listAuditEvents(s.database.db, { organizationId: orgId, limit: 10_000 });
      expect(seen.length).toBe(all.length);
      expect(all.some((r) => r.target_name === 'evil/rc')).toBe(false);
      const recent = await events(`?since=${encodeURIComponent('2020-01-01T00:02:00Z')}`);
      expect(recent.items.filter((e) => e.target.name?.startsWith('acme/rc-')).length).toBe(10);
    });

    it('sweeps events older than the retention period', async () => {
      const old = new Date(Date.now() - (s.engine.auditRetentionDays + 1) * 86_400_000);
      await recordAudit(s.database.db, { id: null, login: null, source: 'cli' }, { action: 'user.created', target: { type: 'user', name: 'ancient' } }, old);
      const before = await listAuditEvents(s.database.db, { limit: 10_000 });
      expect(before.some((r) => r.target_name === 'ancient')).toBe(true);
      const swept = await s.engine.sweepAudit();
      expect(swept).toBeGreaterThanOrEqual(131); // the 2020 events too
      const after = await listAuditEvents(s.database.db, { limit: 10_000 });
      expect(after.some((r) => r.target_name === 'ancient')).toBe(false);
      expect(after.some((r) => r.action === 'env_var.created')).toBe(true);
    });
  });
}
