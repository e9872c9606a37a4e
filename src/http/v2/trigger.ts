// Trigger tag: what starts a definition's pipelines. A trigger's event source is the
// project's forge webhook (GitHub, Gitea/Forgejo, GitLab or git post-receive deliveries to
// /hooks/…); its event preset and filters choose the events, its refs and parameters shape
// the pipeline. Every matching trigger fires for each delivery (engine/pipeline/forge-events.ts).
import type { FastifyInstance } from 'fastify';
import { newId, nowIso } from '../../domain/clock.ts';
import { deleteTrigger, insertTrigger, listTriggers, updateTrigger, type PipelineTrigger, type TriggerChanges } from '../../storage/pipeline-definitions.ts';
import type { ProjectWithOrg } from '../../storage/projects.ts';
import type { HttpDeps } from '../deps.ts';
import { CircletError } from '../errors.ts';
import { requireProjectById } from '../project-access.ts';
import { messageSchema } from '../schemas/common.ts';
import { strictBodyValidator } from '../schemas/validation.ts';
import { triggerBody } from './presenters/definition.ts';
import { createTriggerBody, definitionParams, SUPPORTED_PRESETS, triggerParams, triggerSchema, updateTriggerBody } from './schemas/definition.ts';
import { requireDefinition, requireTrigger } from './services/definitions.ts';

const errors = { 400: messageSchema, 401: messageSchema, 404: messageSchema } as const;

/** Event sources circlet has: the project's forge webhook, under the provider names CircleCI uses. */
const FORGE_PROVIDERS = ['github_oauth', 'github_app', 'bitbucket_oauth', 'gitlab', 'circleci'];

interface TriggerFields {
  event_preset?: string;
  checkout_ref?: string;
  config_ref?: string;
  event_name?: string;
  disabled?: boolean;
  filters?: Record<string, unknown>;
  parameters?: Record<string, unknown>;
}
interface CreateBody extends TriggerFields {
  event_source: { provider: string; repo?: { external_id: string }; webhook?: { sender?: string } };
}
interface UpdateBody extends TriggerFields {
  event_source?: { webhook?: { sender?: string } };
}

function checkFields(body: TriggerFields): void {
  if (body.event_preset !== undefined && !(SUPPORTED_PRESETS as readonly string[]).includes(body.event_preset)) {
    throw new CircletError('TRIGGER_PRESET_UNSUPPORTED', { event_preset: body.event_preset, supported: SUPPORTED_PRESETS.join(', ') });
  }
  if (body.event_name !== undefined) throw new CircletError('TRIGGER_EVENT_NAME_NOT_WEBHOOK');
}

function checkSource(project: ProjectWithOrg, source: CreateBody['event_source']): void {
  if (source.provider === 'webhook') {
    throw new CircletError('TRIGGER_CUSTOM_WEBHOOK_UNSUPPORTED');
  }
  if (!FORGE_PROVIDERS.includes(source.provider)) throw new CircletError('TRIGGER_PROVIDER_UNKNOWN', { provider: source.provider, expected: FORGE_PROVIDERS.join(', ') });
  if (source.webhook !== undefined) throw new CircletError('TRIGGER_WEBHOOK_NOT_WEBHOOK');
  if (source.repo !== undefined && source.repo.external_id !== project.id) {
    throw new CircletError('TRIGGER_REPO_NOT_PROJECT', { id: project.id });
  }
}

export function triggerRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const tags = ['Trigger'];
  const db = deps.database.db;
  app.setValidatorCompiler(strictBodyValidator);
  type DP = { project_id: string; pipeline_definition_id: string };
  type TP = { project_id: string; trigger_id: string };

  app.get<{ Params: DP }>(
    '/projects/:project_id/pipeline-definitions/:pipeline_definition_id/triggers',
    {
      schema: {
        tags,
        operationId: 'listPipelineDefinitionTriggers',
        params: definitionParams,
        response: { 200: { type: 'object', properties: { items: { type: 'array', items: triggerSchema } }, required: ['items'] }, ...errors },
      },
    },
    async (req) => {
      const project = await requireProjectById(deps, req, req.params.project_id);
      const d = await requireDefinition(deps, project, req.params.pipeline_definition_id);
      return { items: (await listTriggers(db, d.id)).map((t) => triggerBody(project, t)) };
    },
  );

  app.post<{ Params: DP; Body: CreateBody }>(
    '/projects/:project_id/pipeline-definitions/:pipeline_definition_id/triggers',
    { schema: { tags, operationId: 'createTrigger', params: definitionParams, body: createTriggerBody, response: { 200: triggerSchema, ...errors } } },
    async (req) => {
      const project = await requireProjectById(deps, req, req.params.project_id);
      const d = await requireDefinition(deps, project, req.params.pipeline_definition_id);
      const body = req.body;
      checkSource(project, body.event_source);
      checkFields(body);
      const now = nowIso();
      const row: PipelineTrigger = {
        id: newId(),
        project_id: project.id,
        definition_id: d.id,
        provider: body.event_source.provider,
        event_name: null,
        event_preset: body.event_preset ?? null,
        checkout_ref: body.checkout_ref ?? null,
        config_ref: body.config_ref ?? null,
        filters: JSON.stringify(body.filters ?? {}),
        parameters: JSON.stringify(body.parameters ?? {}),
        disabled: body.disabled ? 1 : 0,
        created_at: now,
        updated_at: now,
      };
      await insertTrigger(db, row);
      return triggerBody(project, row);
    },
  );

  app.get<{ Params: TP }>(
    '/projects/:project_id/triggers/:trigger_id',
    { schema: { tags, operationId: 'getTrigger', params: triggerParams, response: { 200: triggerSchema, ...errors } } },
    async (req) => {
      const project = await requireProjectById(deps, req, req.params.project_id);
      return triggerBody(project, await requireTrigger(deps, project, req.params.trigger_id));
    },
  );

  app.patch<{ Params: TP; Body: UpdateBody }>(
    '/projects/:project_id/triggers/:trigger_id',
    { schema: { tags, operationId: 'updateTrigger', params: triggerParams, body: updateTriggerBody, response: { 200: triggerSchema, ...errors } } },
    async (req) => {
      const project = await requireProjectById(deps, req, req.params.project_id);
      const t = await requireTrigger(deps, project, req.params.trigger_id);
      const body = req.body ?? {};
      checkFields(body);
      if (body.event_source?.webhook !== undefined) throw new CircletError('TRIGGER_WEBHOOK_UPDATE_NOT_WEBHOOK');
      const changes: TriggerChanges = {};
      if (body.event_preset !== undefined) changes.event_preset = body.event_preset;
      if (body.checkout_ref !== undefined) changes.checkout_ref = body.checkout_ref;
      if (body.config_ref !== undefined) changes.config_ref = body.config_ref;
      if (body.disabled !== undefined) changes.disabled = body.disabled ? 1 : 0;
      if (body.filters !== undefined) changes.filters = JSON.stringify(body.filters);
      if (body.parameters !== undefined) changes.parameters = JSON.stringify(body.parameters);
      if (Object.keys(changes).length === 0) throw new CircletError('NO_FIELDS');
      changes.updated_at = nowIso();
      await updateTrigger(db, t.id, changes);
      return triggerBody(project, { ...t, ...changes });
    },
  );

  app.delete<{ Params: TP }>(
    '/projects/:project_id/triggers/:trigger_id',
    { schema: { tags, operationId: 'deleteTrigger', params: triggerParams, response: { 200: messageSchema, ...errors } } },
    async (req) => {
      const project = await requireProjectById(deps, req, req.params.project_id);
      const t = await requireTrigger(deps, project, req.params.trigger_id);
      await deleteTrigger(db, t.id);
      return { message: 'Trigger deleted.' };
    },
  );
}
