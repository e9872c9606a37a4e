import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSecretBox } from '../../src/domain/secret-box.ts';
import {
  contextEnvironment,
  createContext,
  createContextRestriction,
  deleteContext,
  deleteContextEnvVar,
  deleteContextRestriction,
  findContextByName,
  getContext,
  getContextRestriction,
  listContextEnvVars,
  listContextRestrictions,
  listContexts,
  MAX_ENV_VARS_PER_CONTEXT,
  membershipRole,
  putContextEnvVar,
  type Context,
} from '../../src/storage/contexts.ts';
import type { Database } from '../../src/storage/db.ts';
import { addMember, ensureOrganization } from '../../src/storage/organizations.ts';
import { ensureUser } from '../../src/storage/users.ts';
import { databaseKinds } from '../helpers/databases.ts';

const box = createSecretBox(crypto.randomBytes(32));

async function newContext(d: Database, orgId: string, name = `c-${crypto.randomBytes(4).toString('hex')}`): Promise<Context> {
  const r = await createContext(d.db, orgId, name);
  if (!r.ok) throw new Error(`could not create ${name}: ${r.reason}`);
  return r.context;
}

for (const kind of databaseKinds()) {
  describe(`contexts storage (${kind.name})`, () => {
    let d: Database;
    let dispose: () => Promise<void>;
    let orgId: string;
    let otherOrgId: string;

    beforeAll(async () => {
      const made = await kind.create();
      d = made.database;
      dispose = made.dispose;
      orgId = (await ensureOrganization(d.db, 'github', 'acme')).id;
      otherOrgId = (await ensureOrganization(d.db, 'github', 'other')).id;
    });
    afterAll(async () => {
      await dispose?.();
    });

    it('creates, gets and finds a context; names are unique per organization only', async () => {
      const c = await newContext(d, orgId, 'deploy');
      expect(await getContext(d.db, c.id)).toEqual(c);
      expect(await findContextByName(d.db, orgId, 'deploy')).toEqual(c);
      expect(await createContext(d.db, orgId, 'deploy')).toEqual({ ok: false, reason: 'exists' });
      const elsewhere = await createContext(d.db, otherOrgId, 'deploy');
      expect(elsewhere.ok).toBe(true);
      expect(await findContextByName(d.db, otherOrgId, 'deploy')).not.toEqual(c);
    });

    it('lists an organization’s contexts by name, keyset-paged', async () => {
      const org = (await ensureOrganization(d.db, 'github', `pager-${kind.name}`)).id;
      const names = ['b', 'a', 'd', 'c', 'e'];
      for (const n of names) await newContext(d, org, n);
      const first = await listContexts(d.db, org, 2);
      expect(first.map((c) => c.name)).toEqual(['a', 'b', 'c']);
      const second = await listContexts(d.db, org, 2, [first[1]!.name, first[1]!.id]);
      expect(second.map((c) => c.name)).toEqual(['c', 'd', 'e']);
      const last = await listContexts(d.db, org, 2, ['d', second[1]!.id]);
      expect(last.map((c) => c.name)).toEqual(['e']);
      expect((await listContexts(d.db, otherOrgId, 10)).map((c) => c.name)).toEqual(['deploy']);
    });

    it('seals variable values: the raw column never holds the plaintext', async () => {
      const c = await newContext(d, orgId);
      const put = await putContextEnvVar(d.db, box, c.id, 'TOKEN', 'plain-secret-123');
      expect(put).toMatchObject({ ok: true, created: true, envVar: { context_id: c.id, name: 'TOKEN' } });
      const raw = await d.db.selectFrom('context_env_vars').selectAll().where('context_id', '=', c.id).executeTakeFirstOrThrow();
      expect(raw.value_sealed).not.toContain('plain-secret-123');
      expect(raw.value_sealed).toMatch(/^v1:/);
      expect(box.open(raw.value_sealed)).toBe('plain-secret-123');
      // What listing returns carries no value at all.
      const listed = await listContextEnvVars(d.db, c.id, 10);
      expect(listed).toEqual([{ context_id: c.id, name: 'TOKEN', created_at: raw.created_at, updated_at: raw.updated_at }]);
    });

    it('updates a variable in place, keeping created_at and moving updated_at', async () => {
      const c = await newContext(d, orgId);
      const a = await putContextEnvVar(d.db, box, c.id, 'X', 'one');
      await new Promise((r) => setTimeout(r, 5));
      const b = await putContextEnvVar(d.db, box, c.id, 'X', 'two');
      if (!a.ok || !b.ok) throw new Error('put failed');
      expect(b.created).toBe(false);
      expect(b.envVar.created_at).toBe(a.envVar.created_at);
      expect(b.envVar.updated_at > a.envVar.updated_at).toBe(true);
      expect(await contextEnvironment(d.db, box, [c.id])).toEqual({ X: 'two' });
    });

    it('pages variables by name and deletes them', async () => {
      const c = await newContext(d, orgId);
      for (const n of ['C', 'A', 'B']) await putContextEnvVar(d.db, box, c.id, n, n.toLowerCase());
      expect((await listContextEnvVars(d.db, c.id, 2)).map((v) => v.name)).toEqual(['A', 'B', 'C']);
      expect((await listContextEnvVars(d.db, c.id, 2, 'B')).map((v) => v.name)).toEqual(['C']);
      expect(await deleteContextEnvVar(d.db, c.id, 'B')).toBe(true);
      expect(await deleteContextEnvVar(d.db, c.id, 'B')).toBe(false);
      expect(await contextEnvironment(d.db, box, [c.id])).toEqual({ A: 'a', C: 'c' });
    });

    it('refuses a new variable beyond the per-context limit but still updates existing ones', async () => {
      const c = await newContext(d, orgId);
      const now = new Date().toISOString();
      await d.db
        .insertInto('context_env_vars')
        .values(Array.from({ length: MAX_ENV_VARS_PER_CONTEXT }, (_, i) => ({ context_id: c.id, name: `V${i}`, value_sealed: box.seal('x'), created_at: now, updated_at: now })))
        .execute();
      expect(await putContextEnvVar(d.db, box, c.id, 'ONE_MORE', 'x')).toEqual({ ok: false, reason: 'limit' });
      expect((await putContextEnvVar(d.db, box, c.id, 'V0', 'y')).ok).toBe(true);
    });

    it('merges the environment of several contexts in order: later contexts win', async () => {
      const first = await newContext(d, orgId);
      const second = await newContext(d, orgId);
      await putContextEnvVar(d.db, box, first.id, 'SHARED', 'from-first');
      await putContextEnvVar(d.db, box, first.id, 'ONLY_FIRST', '1');
      await putContextEnvVar(d.db, box, second.id, 'SHARED', 'from-second');
      await putContextEnvVar(d.db, box, second.id, 'ONLY_SECOND', '2');
      expect(await contextEnvironment(d.db, box, [first.id, second.id])).toEqual({ SHARED: 'from-second', ONLY_FIRST: '1', ONLY_SECOND: '2' });
      expect(await contextEnvironment(d.db, box, [second.id, first.id])).toMatchObject({ SHARED: 'from-first' });
      expect(await contextEnvironment(d.db, box, [])).toEqual({});
    });

    it('creates, lists, refuses duplicate and deletes restrictions', async () => {
      const c = await newContext(d, orgId);
      const p = await createContextRestriction(d.db, c.id, { type: 'project', value: crypto.randomUUID(), name: 'app' });
      const e = await createContextRestriction(d.db, c.id, { type: 'expression', value: 'pipeline.git.branch == "main"' });
      if (!p.ok || !e.ok) throw new Error('create failed');
      expect(await createContextRestriction(d.db, c.id, { type: 'expression', value: 'pipeline.git.branch == "main"' })).toEqual({ ok: false, reason: 'exists' });
      const listed = await listContextRestrictions(d.db, c.id);
      expect(listed.map((r) => [r.restriction_type, r.name])).toEqual([
        ['project', 'app'],
        ['expression', null],
      ]);
      expect(await getContextRestriction(d.db, c.id, e.restriction.id)).toEqual(e.restriction);
      expect(await deleteContextRestriction(d.db, c.id, e.restriction.id)).toBe(true);
      expect(await deleteContextRestriction(d.db, c.id, e.restriction.id)).toBe(false);
      expect((await listContextRestrictions(d.db, c.id)).map((r) => r.id)).toEqual([p.restriction.id]);
    });

    it('deleting a context removes its variables and restrictions', async () => {
      const c = await newContext(d, orgId);
      await putContextEnvVar(d.db, box, c.id, 'A', 'a');
      await createContextRestriction(d.db, c.id, { type: 'expression', value: 'true' });
      expect(await deleteContext(d.db, c.id)).toBe(true);
      expect(await deleteContext(d.db, c.id)).toBe(false);
      expect(await getContext(d.db, c.id)).toBeUndefined();
      expect(await d.db.selectFrom('context_env_vars').select('name').where('context_id', '=', c.id).execute()).toEqual([]);
      expect(await listContextRestrictions(d.db, c.id)).toEqual([]);
    });

    it('reports membership roles', async () => {
      const admin = await ensureUser(d.db, `admin-${kind.name}`);
      const member = await ensureUser(d.db, `member-${kind.name}`);
      await addMember(d.db, orgId, admin.id, 'admin');
      await addMember(d.db, orgId, member.id, 'contributor');
      expect(await membershipRole(d.db, orgId, admin.id)).toBe('admin');
      expect(await membershipRole(d.db, orgId, member.id)).toBe('contributor');
      expect(await membershipRole(d.db, otherOrgId, member.id)).toBeUndefined();
    });
  });
}
