// Additional SSH keys of a project (v1.1 `…/ssh-key`): a private key per hostname, sealed at
// rest, handed to a job's `add_ssh_keys` step with the task's secrets.
import { newId, nowIso } from '../domain/clock.ts';
import type { SecretBox } from '../domain/secret-box.ts';
import type { Db } from './executor.ts';
import { oldestFirst } from './order.ts';

export interface AdditionalSshKey {
  hostname: string;
  fingerprint_md5: string;
  fingerprint_sha256: string;
}

/** Adds the key for the hostname; the same key for the same host again replaces it. */
export async function addSshKey(db: Db, box: SecretBox, projectId: string, key: AdditionalSshKey & { privateKey: string }): Promise<void> {
  await db
    .insertInto('additional_ssh_keys')
    .values({
      id: newId(),
      project_id: projectId,
      hostname: key.hostname,
      fingerprint_md5: key.fingerprint_md5,
      fingerprint_sha256: key.fingerprint_sha256,
      private_key_sealed: box.seal(key.privateKey),
      created_at: nowIso(),
    })
    .onConflict((oc) => oc.columns(['project_id', 'hostname', 'fingerprint_md5']).doUpdateSet({ private_key_sealed: (eb) => eb.ref('excluded.private_key_sealed') }))
    .execute();
}

/** Deletes the key with this fingerprint (MD5 or SHA-256 form), for one hostname or, with none, every one; returns how many. */
export async function deleteSshKey(db: Db, projectId: string, fingerprint: string, hostname?: string): Promise<number> {
  let q = db
    .deleteFrom('additional_ssh_keys')
    .where('project_id', '=', projectId)
    .where((eb) => eb.or([eb('fingerprint_md5', '=', fingerprint), eb('fingerprint_sha256', '=', fingerprint)]));
  if (hostname !== undefined) q = q.where('hostname', '=', hostname);
  const r = await q.executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** Every key of the project with its private half opened, oldest first (for a task's secrets). */
export async function sshKeysForTask(db: Db, box: SecretBox, projectId: string): Promise<(AdditionalSshKey & { private_key: string })[]> {
  const rows = await db
    .selectFrom('additional_ssh_keys')
    .select(['hostname', 'fingerprint_md5', 'fingerprint_sha256', 'private_key_sealed'])
    .where('project_id', '=', projectId)
    .$call(oldestFirst)
    .execute();
  return rows.map(({ private_key_sealed, ...k }) => ({ ...k, private_key: box.open(private_key_sealed) }));
}
