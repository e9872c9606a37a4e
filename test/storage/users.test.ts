import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashToken } from '../../src/domain/tokens.ts';
import type { Database } from '../../src/storage/db.ts';
import { createApiToken, ensureUser, findUserByLogin, getUser, userForToken } from '../../src/storage/users.ts';
import { databaseKinds } from '../helpers/databases.ts';
import { useDatabase } from '../helpers/fresh-database.ts';

for (const kind of databaseKinds()) {
  describe(`users and tokens storage (${kind.name})`, () => {
    let d: Database;
    useDatabase(kind, (database) => {
      d = database;
    });

    it('ensureUser creates once, even when raced', async () => {
      const users = await Promise.all([ensureUser(d.db, 'racer'), ensureUser(d.db, 'racer'), ensureUser(d.db, 'racer')]);
      expect(new Set(users.map((u) => u.id)).size).toBe(1);
      expect((await getUser(d.db, users[0]!.id))?.login).toBe('racer');
      expect((await findUserByLogin(d.db, 'racer'))?.id).toBe(users[0]!.id);
      const rows = await d.db.selectFrom('users').select('id').where('login', '=', 'racer').execute();
      expect(rows).toHaveLength(1);
    });

    it('a token finds its user and is stored only as its SHA-256', async () => {
      const user = await ensureUser(d.db, 'tokens');
      const token = await createApiToken(d.db, user.id, 'laptop');
      expect(token).toMatch(/^[0-9a-f]{40}$/);
      expect((await userForToken(d.db, token))?.id).toBe(user.id);

      const rows = await d.db.selectFrom('api_tokens').selectAll().where('user_id', '=', user.id).execute();
      expect(rows).toHaveLength(1);
      expect(rows[0]!.token_hash).toBe(crypto.createHash('sha256').update(token).digest('hex'));
      expect(rows[0]!.token_hash).toBe(hashToken(token));
      for (const value of Object.values(rows[0]!)) expect(String(value)).not.toContain(token);
    });

    it('unknown and near-miss tokens find nobody', async () => {
      const user = await ensureUser(d.db, 'nearmiss');
      const token = await createApiToken(d.db, user.id, 't');
      expect(await userForToken(d.db, 'nope')).toBeUndefined();
      expect(await userForToken(d.db, token.slice(0, -1) + (token.endsWith('0') ? '1' : '0'))).toBeUndefined();
      expect(await userForToken(d.db, hashToken(token))).toBeUndefined();
    });

    it('each user has their own tokens', async () => {
      const a = await ensureUser(d.db, 'ta');
      const b = await ensureUser(d.db, 'tb');
      const [ta1, ta2, tb] = await Promise.all([createApiToken(d.db, a.id, '1'), createApiToken(d.db, a.id, '2'), createApiToken(d.db, b.id, '1')]);
      expect(new Set([ta1, ta2, tb]).size).toBe(3);
      expect((await userForToken(d.db, ta2))?.login).toBe('ta');
      expect((await userForToken(d.db, tb))?.login).toBe('tb');
    });
  });
}
