// Checkout keys: SSH key pairs per project; the private half is sealed at rest.
import { newId, nowIso } from '../domain/clock.ts';
import type { SecretBox } from '../domain/secret-box.ts';
import { generateSshKeyPair } from '../domain/ssh-keys.ts';
import type { Db } from './executor.ts';
import type { CheckoutKeysTable } from './schema.ts';

export type CheckoutKey = Omit<CheckoutKeysTable, 'private_key_sealed'>;

const columns = ['id', 'project_id', 'type', 'public_key', 'fingerprint_md5', 'fingerprint_sha256', 'created_at'] as const;

export async function createCheckoutKey(db: Db, box: SecretBox, projectId: string, type: 'deploy-key' | 'user-key'): Promise<CheckoutKey> {
  const pair = generateSshKeyPair(`circlet-${type}`);
  const row: CheckoutKeysTable = {
    id: newId(),
    project_id: projectId,
    type,
    public_key: pair.publicKey,
    private_key_sealed: box.seal(pair.privateKey),
    fingerprint_md5: pair.fingerprintMd5,
    fingerprint_sha256: pair.fingerprintSha256,
    created_at: nowIso(),
  };
  await db.insertInto('checkout_keys').values(row).execute();
  const { private_key_sealed: _sealed, ...key } = row;
  return key;
}

/** All keys of a project, newest first. */
export async function listCheckoutKeys(db: Db, projectId: string): Promise<CheckoutKey[]> {
  return db
    .selectFrom('checkout_keys')
    .select(columns)
    .where('project_id', '=', projectId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
}

export async function findCheckoutKey(db: Db, projectId: string, fingerprint: string): Promise<CheckoutKey | undefined> {
  return db
    .selectFrom('checkout_keys')
    .select(columns)
    .where('project_id', '=', projectId)
    .where((eb) => eb.or([eb('fingerprint_md5', '=', fingerprint), eb('fingerprint_sha256', '=', fingerprint)]))
    .executeTakeFirst();
}

export async function deleteCheckoutKey(db: Db, id: string): Promise<void> {
  await db.deleteFrom('checkout_keys').where('id', '=', id).execute();
}

/** The private key of the preferred checkout key (see preferredCheckoutKeyId), for a runner doing a checkout. */
export async function preferredPrivateKey(db: Db, box: SecretBox, projectId: string): Promise<string | undefined> {
  const id = await preferredCheckoutKeyId(db, projectId);
  if (!id) return undefined;
  const row = await db.selectFrom('checkout_keys').select('private_key_sealed').where('id', '=', id).executeTakeFirst();
  return row && box.open(row.private_key_sealed);
}

/**
 * A page of a project's keys, newest first, after the key `(created_at, id)` of the last
 * row of the previous page. Fetches `limit + 1` rows.
 */
export async function listCheckoutKeysPage(db: Db, projectId: string, limit: number, after?: { created_at: string; id: string }): Promise<CheckoutKey[]> {
  let q = db.selectFrom('checkout_keys').select(columns).where('project_id', '=', projectId);
  if (after) {
    q = q.where((eb) => eb.or([eb('created_at', '<', after.created_at), eb.and([eb('created_at', '=', after.created_at), eb('id', '<', after.id)])]));
  }
  return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();
}

/**
 * The id of the preferred key, as CircleCI defines it: a user key wins over deploy keys;
 * among keys of one type the newest wins.
 */
export async function preferredCheckoutKeyId(db: Db, projectId: string): Promise<string | undefined> {
  for (const type of ['user-key', undefined]) {
    let q = db.selectFrom('checkout_keys').select('id').where('project_id', '=', projectId);
    if (type) q = q.where('type', '=', type);
    const row = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirst();
    if (row) return row.id;
  }
  return undefined;
}
