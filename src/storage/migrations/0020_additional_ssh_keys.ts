// Additional SSH keys (v1.1 `POST|DELETE /project/…/ssh-key`): private keys a project keeps
// for hosts its jobs reach over SSH, installed by the `add_ssh_keys` step. The private key is
// sealed at rest; a key is named by its hostname and fingerprint.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('additional_ssh_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('hostname', 'text', (c) => c.notNull())
    .addColumn('fingerprint_md5', 'text', (c) => c.notNull())
    .addColumn('fingerprint_sha256', 'text', (c) => c.notNull())
    .addColumn('private_key_sealed', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('additional_ssh_keys_unique', ['project_id', 'hostname', 'fingerprint_md5'])
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('circlet migrations are append-only');
}
