import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSecretBox } from '../../src/domain/secret-box.ts';
import { authorizeContexts, contextMessages, type AuthorizeContextsInput } from '../../src/engine/pipeline/contexts.ts';
import { createContext, createContextRestriction, deleteContext, putContextEnvVar, type Context } from '../../src/storage/contexts.ts';
import type { Database } from '../../src/storage/db.ts';
import { addGroupMember, createGroup } from '../../src/storage/org-groups.ts';
import { addMember, ensureOrganization } from '../../src/storage/organizations.ts';
import { createProject } from '../../src/storage/projects.ts';
import { ensureUser } from '../../src/storage/users.ts';
import { databaseKinds } from '../helpers/databases.ts';

const box = createSecretBox(crypto.randomBytes(32));

for (const kind of databaseKinds()) {
  describe(`authorizeContexts (${kind.name})`, () => {
    let d: Database;
    let dispose: () => Promise<void>;
    let orgId: string;
    let projectId: string;
    let otherProjectId: string;
    let memberId: string;
    let outsiderId: string;
    const contexts: Record<string, Context> = {};

    const base = (over: Partial<AuthorizeContextsInput> = {}): AuthorizeContextsInput => ({
      organizationId: orgId,
      projectId,
      contextNames: [],
      pipelineValues: { 'git.branch': 'main', 'git.tag': '', number: 7 },
      userId: memberId,
      ...over,
    });

    async function context(name: string, vars: Record<string, string>): Promise<Context> {
      const r = await createContext(d.db, orgId, name);
      if (!r.ok) throw new Error('create failed');
      for (const [k, v] of Object.entries(vars)) await putContextEnvVar(d.db, box, r.context.id, k, v);
      contexts[name] = r.context;
      return r.context;
    }

    beforeAll(async () => {
      const made = await kind.create();
      d = made.database;
      dispose = made.dispose;
      const org = await ensureOrganization(d.db, 'github', 'acme');
      const other = await ensureOrganization(d.db, 'github', 'other');
      orgId = org.id;
      projectId = (await createProject(d.db, org, { name: 'app', vcsUrl: '/nonexistent' })).id;
      otherProjectId = (await createProject(d.db, org, { name: 'lib', vcsUrl: '/nonexistent' })).id;
      const member = await ensureUser(d.db, 'alice');
      await addMember(d.db, orgId, member.id, 'contributor');
      memberId = member.id;
      const outsider = await ensureUser(d.db, 'mallory');
      await addMember(d.db, other.id, outsider.id);
      outsiderId = outsider.id;

      await context('org-global', { SHARED: 'global', GLOBAL_ONLY: 'g' });
      await context('deploy', { SHARED: 'deploy', DEPLOY_KEY: 'k' });
      const app = await context('app-only', { APP: '1' });
      await createContextRestriction(d.db, app.id, { type: 'project', value: projectId, name: 'app' });
      const lib = await context('lib-only', { LIB: '1' });
      await createContextRestriction(d.db, lib.id, { type: 'project', value: otherProjectId, name: 'lib' });
      const both = await context('app-or-lib', { BOTH: '1' });
      await createContextRestriction(d.db, both.id, { type: 'project', value: otherProjectId, name: 'lib' });
      await createContextRestriction(d.db, both.id, { type: 'project', value: projectId, name: 'app' });
      const mainOnly = await context('main-only', { PROD: 'p' });
      await createContextRestriction(d.db, mainOnly.id, { type: 'expression', value: 'pipeline.git.branch == "main" and not job.ssh.enabled' });
      const two = await context('two-rules', { TWO: '2' });
      await createContextRestriction(d.db, two.id, { type: 'expression', value: 'pipeline.git.branch == "main"' });
      await createContextRestriction(d.db, two.id, { type: 'expression', value: 'pipeline.number > 10' });
      const sched = await context('needs-schedule', {});
      await createContextRestriction(d.db, sched.id, { type: 'expression', value: 'pipeline.schedule.name == "nightly"' });
      const mixed = await context('app-main', { MIXED: 'm' });
      await createContextRestriction(d.db, mixed.id, { type: 'project', value: projectId, name: 'app' });
      await createContextRestriction(d.db, mixed.id, { type: 'expression', value: 'pipeline.git.branch starts-with "release/"' });
      const grouped = await context('grouped', {});
      // A group alice is in, and one of nobody: a group restriction admits a member of any of them.
      const releasers = (await createGroup(d.db, orgId, 'releasers', ''))!;
      await addGroupMember(d.db, releasers.id, memberId);
      const empty = (await createGroup(d.db, orgId, 'nobody', ''))!;
      await createContextRestriction(d.db, grouped.id, { type: 'group', value: releasers.id, name: 'releasers' });
      await createContextRestriction(d.db, grouped.id, { type: 'group', value: empty.id, name: 'nobody' });
      const onlyEmpty = await context('nobody-only', {});
      await createContextRestriction(d.db, onlyEmpty.id, { type: 'group', value: empty.id, name: 'nobody' });
      const unknown = await context('unknown-kind', {});
      await d.db
        .insertInto('context_restrictions')
        .values({ id: crypto.randomUUID(), context_id: unknown.id, restriction_type: 'branch', restriction_value: 'main', name: 'b', created_at: new Date().toISOString() })
        .execute();
    });
    afterAll(async () => {
      await dispose?.();
    });

    it('no contexts: ok with an empty environment', async () => {
      expect(await authorizeContexts(d.db, box, base())).toEqual({ ok: true, environment: {}, contextIds: [] });
    });

    it('merges contexts in list order; later contexts win', async () => {
      const r = await authorizeContexts(d.db, box, base({ contextNames: ['org-global', 'deploy'] }));
      expect(r).toEqual({
        ok: true,
        environment: { SHARED: 'deploy', GLOBAL_ONLY: 'g', DEPLOY_KEY: 'k' },
        contextIds: [contexts['org-global']!.id, contexts['deploy']!.id],
      });
      const reversed = await authorizeContexts(d.db, box, base({ contextNames: ['deploy', 'org-global'] }));
      expect(reversed.ok && reversed.environment.SHARED).toBe('global');
    });

    it('a name listed twice is used once', async () => {
      const r = await authorizeContexts(d.db, box, base({ contextNames: ['deploy', 'deploy'] }));
      expect(r.ok && r.contextIds).toEqual([contexts['deploy']!.id]);
    });

    it('a missing context is not ok', async () => {
      expect(await authorizeContexts(d.db, box, base({ contextNames: ['org-global', 'nope'] }))).toEqual({ ok: false, message: contextMessages.notFound('nope') });
    });

    it("a context of another organization is not found in the project's organization", async () => {
      const other = await ensureOrganization(d.db, 'github', 'other');
      await createContext(d.db, other.id, 'theirs');
      expect(await authorizeContexts(d.db, box, base({ contextNames: ['theirs'] }))).toEqual({ ok: false, message: contextMessages.notFound('theirs') });
    });

    it('a deleted context is not found', async () => {
      const gone = await context('short-lived', { A: 'a' });
      await deleteContext(d.db, gone.id);
      expect((await authorizeContexts(d.db, box, base({ contextNames: ['short-lived'] }))).ok).toBe(false);
    });

    it('the triggering user must be a member of the organization', async () => {
      expect(await authorizeContexts(d.db, box, base({ contextNames: ['org-global'], userId: outsiderId }))).toEqual({
        ok: false,
        message: contextMessages.notMember('org-global'),
      });
      expect((await authorizeContexts(d.db, box, base({ contextNames: ['org-global'], userId: crypto.randomUUID() }))).ok).toBe(false);
    });

    it('the system actor (userId null) may use contexts', async () => {
      const r = await authorizeContexts(d.db, box, base({ contextNames: ['org-global'], userId: null }));
      expect(r.ok).toBe(true);
    });

    it('project restrictions: the project must be one of them', async () => {
      expect((await authorizeContexts(d.db, box, base({ contextNames: ['app-only'] }))).ok).toBe(true);
      expect((await authorizeContexts(d.db, box, base({ contextNames: ['app-or-lib'] }))).ok).toBe(true);
      expect(await authorizeContexts(d.db, box, base({ contextNames: ['lib-only'] }))).toEqual({ ok: false, message: contextMessages.projectRestricted('lib-only') });
    });

    it('expression restrictions must all hold', async () => {
      expect((await authorizeContexts(d.db, box, base({ contextNames: ['main-only'] }))).ok).toBe(true);
      const dev = await authorizeContexts(d.db, box, base({ contextNames: ['main-only'], pipelineValues: { 'git.branch': 'dev' } }));
      expect(dev).toEqual({ ok: false, message: contextMessages.expressionRestricted('main-only', 'pipeline.git.branch == "main" and not job.ssh.enabled') });
      const ssh = await authorizeContexts(d.db, box, base({ contextNames: ['main-only'], pipelineValues: { 'git.branch': 'main', 'job.ssh.enabled': true } }));
      expect(ssh.ok).toBe(false);
      const prefixed = await authorizeContexts(d.db, box, base({ contextNames: ['main-only'], pipelineValues: { 'pipeline.git.branch': 'main' } }));
      expect(prefixed.ok).toBe(true);
      expect((await authorizeContexts(d.db, box, base({ contextNames: ['two-rules'] }))).ok).toBe(false);
      expect((await authorizeContexts(d.db, box, base({ contextNames: ['two-rules'], pipelineValues: { 'git.branch': 'main', number: 11 } }))).ok).toBe(true);
    });

    it('an expression over a value the pipeline lacks fails closed, saying why', async () => {
      const r = await authorizeContexts(d.db, box, base({ contextNames: ['needs-schedule'] }));
      expect(r).toEqual({
        ok: false,
        message: contextMessages.expressionRestricted('needs-schedule', 'pipeline.schedule.name == "nightly"', 'pipeline.schedule.name has no value in this pipeline'),
      });
    });

    it('project and expression restrictions both apply', async () => {
      const release = { 'git.branch': 'release/1.0' };
      expect((await authorizeContexts(d.db, box, base({ contextNames: ['app-main'], pipelineValues: release }))).ok).toBe(true);
      expect((await authorizeContexts(d.db, box, base({ contextNames: ['app-main'], pipelineValues: release, projectId: otherProjectId }))).ok).toBe(false);
      expect((await authorizeContexts(d.db, box, base({ contextNames: ['app-main'] }))).ok).toBe(false);
    });

    it('a restriction circlet cannot evaluate fails closed', async () => {
      expect(await authorizeContexts(d.db, box, base({ contextNames: ['unknown-kind'] }))).toEqual({ ok: false, message: contextMessages.unsupportedRestriction('unknown-kind', 'branch') });
    });

    it('group restrictions admit members of one of the groups only', async () => {
      expect((await authorizeContexts(d.db, box, base({ contextNames: ['grouped'] }))).ok).toBe(true);
      expect(await authorizeContexts(d.db, box, base({ contextNames: ['nobody-only'] }))).toEqual({ ok: false, message: contextMessages.groupRestricted('nobody-only') });
      expect((await authorizeContexts(d.db, box, base({ contextNames: ['grouped'], userId: null }))).ok).toBe(false);
    });

    it('one unauthorized context fails the whole set, with the first reason', async () => {
      const r = await authorizeContexts(d.db, box, base({ contextNames: ['org-global', 'lib-only', 'nope'] }));
      expect(r).toEqual({ ok: false, message: contextMessages.projectRestricted('lib-only') });
    });
  });
}
