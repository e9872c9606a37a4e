// Pipeline definitions and triggers (CircleCI's Pipeline Definition and Trigger tags): a
// project has several definitions, each naming the config file it runs, and triggers that
// connect an event source (the project's forge webhook) to a definition. Every existing
// project gets the one definition it always had (`.circleci/config.yml`, with the id it was
// answered with) and a trigger on its forge webhook for every event, so pushes build as before.
// A schedule may name the definition it runs.
import type { Kysely } from 'kysely';
import { DEFAULT_CONFIG_PATH, defaultDefinitionId, defaultTriggerId } from '../../domain/definition-id.ts';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('pipeline_definitions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('config_provider', 'text', (c) => c.notNull())
    .addColumn('config_file_path', 'text', (c) => c.notNull())
    .addColumn('checkout_provider', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('pipeline_definitions_project').on('pipeline_definitions').columns(['project_id', 'created_at', 'id']).execute();
  await db.schema
    .createTable('pipeline_triggers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('definition_id', 'text', (c) => c.notNull().references('pipeline_definitions.id').onDelete('cascade'))
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('event_name', 'text')
    .addColumn('event_preset', 'text')
    .addColumn('checkout_ref', 'text')
    .addColumn('config_ref', 'text')
    .addColumn('filters', 'text', (c) => c.notNull())
    .addColumn('parameters', 'text', (c) => c.notNull())
    .addColumn('disabled', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('pipeline_triggers_definition').on('pipeline_triggers').columns(['definition_id', 'created_at', 'id']).execute();
  await db.schema.createIndex('pipeline_triggers_project').on('pipeline_triggers').columns(['project_id']).execute();
  // A schedule may run another definition than the default (null: `.circleci/config.yml`).
  await db.schema
    .alterTable('schedules')
    .addColumn('definition_id', 'text', (c) => c.references('pipeline_definitions.id').onDelete('set null'))
    .execute();

  const projects = await db
    .selectFrom('projects')
    .innerJoin('organizations', 'organizations.id', 'projects.organization_id')
    .select(['projects.id as id', 'projects.created_at as created_at', 'organizations.vcs_type as vcs_type'])
    .execute();
  for (const p of projects as { id: string; created_at: string; vcs_type: string }[]) {
    const provider = defaultProvider(p.vcs_type);
    await db
      .insertInto('pipeline_definitions')
      .values({
        id: defaultDefinitionId(p.id),
        project_id: p.id,
        name: 'Default',
        description: `${DEFAULT_CONFIG_PATH} of the project's repository`,
        config_provider: provider,
        config_file_path: DEFAULT_CONFIG_PATH,
        checkout_provider: provider,
        created_at: p.created_at,
        updated_at: p.created_at,
      })
      .execute();
    await db
      .insertInto('pipeline_triggers')
      .values({
        id: defaultTriggerId(p.id),
        project_id: p.id,
        definition_id: defaultDefinitionId(p.id),
        provider,
        event_name: null,
        event_preset: null,
        checkout_ref: null,
        config_ref: null,
        filters: '{}',
        parameters: '{}',
        disabled: 0,
        created_at: p.created_at,
        updated_at: p.created_at,
      })
      .execute();
  }
}

/** The integration provider CircleCI names for a project of this VCS type (frozen here: a migration never changes). */
function defaultProvider(vcsType: string): string {
  return vcsType === 'github' ? 'github_oauth' : vcsType === 'bitbucket' ? 'bitbucket_oauth' : 'circleci';
}

export async function down(): Promise<void> {
  throw new Error('circlet migrations are append-only');
}
