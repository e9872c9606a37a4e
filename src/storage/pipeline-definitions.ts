// Pipeline definitions (which config file a project's pipelines run) and their triggers
// (which events start them). Every project is created with a default definition
// (`.circleci/config.yml`) and a trigger on its forge webhook for every event.
import { DEFAULT_CONFIG_PATH, defaultDefinitionId, defaultTriggerId } from '../domain/definition-id.ts';
import type { Db } from './executor.ts';
import type { PipelineDefinitionsTable, PipelineTriggersTable } from './schema.ts';
import { oldestFirst } from './order.ts';

export type PipelineDefinition = PipelineDefinitionsTable;
export type PipelineTrigger = PipelineTriggersTable;

/** The integration provider CircleCI names for a project of this VCS type. */
export function providerOfVcs(vcsType: string): string {
  return vcsType === 'github' ? 'github_oauth' : vcsType === 'bitbucket' ? 'bitbucket_oauth' : 'circleci';
}

/** A new project's default definition and its every-event forge trigger. */
export async function insertDefaultDefinition(db: Db, project: { id: string; vcs_type: string; created_at: string }): Promise<void> {
  const provider = providerOfVcs(project.vcs_type);
  const at = project.created_at;
  await insertDefinition(db, {
    id: defaultDefinitionId(project.id),
    project_id: project.id,
    name: 'Default',
    description: `${DEFAULT_CONFIG_PATH} of the project's repository`,
    config_provider: provider,
    config_file_path: DEFAULT_CONFIG_PATH,
    checkout_provider: provider,
    created_at: at,
    updated_at: at,
  });
  await insertTrigger(db, {
    id: defaultTriggerId(project.id),
    project_id: project.id,
    definition_id: defaultDefinitionId(project.id),
    provider,
    event_name: null,
    event_preset: null,
    checkout_ref: null,
    config_ref: null,
    filters: '{}',
    parameters: '{}',
    disabled: 0,
    created_at: at,
    updated_at: at,
  });
}

export async function insertDefinition(db: Db, row: PipelineDefinition): Promise<void> {
  await db.insertInto('pipeline_definitions').values(row).execute();
}

/** A project's definitions, oldest first. */
export async function listDefinitions(db: Db, projectId: string): Promise<PipelineDefinition[]> {
  return db.selectFrom('pipeline_definitions').selectAll().where('project_id', '=', projectId).$call(oldestFirst).execute();
}

/** The definition, only when it belongs to the project. */
export async function getDefinition(db: Db, projectId: string, id: string): Promise<PipelineDefinition | undefined> {
  return db.selectFrom('pipeline_definitions').selectAll().where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
}

export type DefinitionChanges = Partial<Pick<PipelineDefinition, 'name' | 'description' | 'config_file_path' | 'checkout_provider' | 'updated_at'>>;

export async function updateDefinition(db: Db, id: string, changes: DefinitionChanges): Promise<void> {
  await db.updateTable('pipeline_definitions').set(changes).where('id', '=', id).execute();
}

/** Deletes a definition and (by cascade) its triggers. */
export async function deleteDefinition(db: Db, id: string): Promise<boolean> {
  await db.deleteFrom('pipeline_triggers').where('definition_id', '=', id).execute();
  const res = await db.deleteFrom('pipeline_definitions').where('id', '=', id).executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}

export async function insertTrigger(db: Db, row: PipelineTrigger): Promise<void> {
  await db.insertInto('pipeline_triggers').values(row).execute();
}

/** A definition's triggers, oldest first. */
export async function listTriggers(db: Db, definitionId: string): Promise<PipelineTrigger[]> {
  return db.selectFrom('pipeline_triggers').selectAll().where('definition_id', '=', definitionId).$call(oldestFirst).execute();
}

/** The trigger, only when it belongs to the project. */
export async function getTrigger(db: Db, projectId: string, id: string): Promise<PipelineTrigger | undefined> {
  return db.selectFrom('pipeline_triggers').selectAll().where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
}

export type TriggerChanges = Partial<Pick<PipelineTrigger, 'event_name' | 'event_preset' | 'checkout_ref' | 'config_ref' | 'filters' | 'parameters' | 'disabled' | 'updated_at'>>;

export async function updateTrigger(db: Db, id: string, changes: TriggerChanges): Promise<void> {
  await db.updateTable('pipeline_triggers').set(changes).where('id', '=', id).execute();
}

export async function deleteTrigger(db: Db, id: string): Promise<boolean> {
  const res = await db.deleteFrom('pipeline_triggers').where('id', '=', id).executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}

/** The project's enabled triggers on its forge webhook, each with its definition's config file. */
export async function forgeTriggers(db: Db, projectId: string): Promise<(PipelineTrigger & { config_file_path: string })[]> {
  return db
    .selectFrom('pipeline_triggers')
    .innerJoin('pipeline_definitions', 'pipeline_definitions.id', 'pipeline_triggers.definition_id')
    .selectAll('pipeline_triggers')
    .select('pipeline_definitions.config_file_path as config_file_path')
    .where('pipeline_triggers.project_id', '=', projectId)
    .where('pipeline_triggers.disabled', '=', 0)
    .where('pipeline_triggers.provider', '!=', 'webhook')
    .orderBy('pipeline_triggers.created_at')
    .orderBy('pipeline_triggers.id')
    .execute();
}
