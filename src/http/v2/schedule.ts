// Schedule tag: scheduled pipelines of a project (create, list, read, update, delete).
// The engine's scheduler triggers them (src/engine/scheduler.ts); this file only keeps the
// rows and their next due time. Only members of the project's organization see a schedule;
// to anyone else it answers like one that does not exist (404).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { CircletError } from '../../domain/errors.ts';
import { newId, nowIso, UUID_RE } from '../../domain/clock.ts';
import { decodePageToken, pageOf } from '../../domain/paging.ts';
import { nextRunAt } from '../../engine/services/scheduler.ts';
import { mergeTimetable, validateTimetable, type Timetable } from '../../domain/timetable.ts';
import { isMember } from '../../storage/organizations.ts';
import { getProject, type ProjectWithOrg } from '../../storage/projects.ts';
import { deleteSchedule, getSchedule, insertSchedule, listSchedules, updateSchedule, type Schedule, type ScheduleChanges } from '../../storage/schedules.ts';
import { getUser, type User } from '../../storage/users.ts';
import { audit, projectEvent } from '../audit.ts';
import type { HttpDeps } from '../deps.ts';
import { projectSlugOf } from './presenters/pipeline.ts';
import { requireProject, type SlugParams } from '../project-access.ts';
import { errorResponses, messageSchema, projectSlugParams } from '../schemas/common.ts';
import { strictBodyValidator } from '../schemas/validation.ts';
import { parametersSchema } from '../schemas/common.ts';
import { requireDefinition } from './services/definitions.ts';

const PAGE_SIZE = 20;
const MAX_NAME = 255;

/** How CircleCI shows the scheduling system as a schedule's actor. */
export const SYSTEM_ACTOR = { id: '00000000-0000-0000-0000-000000000000', login: 'system-actor', name: 'Scheduled', avatar_url: null };

// ---- schemas (the shapes of CircleCI's spec, tag Schedule) ----

const timetableSchema = {
  type: 'object',
  properties: {
    'per-hour': { type: 'integer' },
    'hours-of-day': { type: 'array', items: { type: 'integer' } },
    'days-of-week': { type: 'array', items: { type: 'string' } },
    'days-of-month': { type: 'array', items: { type: 'integer' } },
    months: { type: 'array', items: { type: 'string' } },
  },
} as const;

const scheduleSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    name: { type: 'string' },
    description: { type: 'string', nullable: true },
    'project-slug': { type: 'string' },
    parameters: { type: 'object', additionalProperties: true },
    actor: {
      type: 'object',
      properties: { id: { type: 'string' }, login: { type: 'string' }, name: { type: 'string' }, avatar_url: { type: 'string', nullable: true } },
      required: ['id', 'login', 'name', 'avatar_url'],
    },
    timetable: timetableSchema,
    'created-at': { type: 'string', format: 'date-time' },
    'updated-at': { type: 'string', format: 'date-time' },
    'definition-id': { type: 'string', format: 'uuid' },
  },
  required: ['id', 'name', 'timetable', 'description', 'project-slug', 'actor', 'created-at', 'updated-at', 'parameters'],
} as const;

const scheduleListSchema = {
  type: 'object',
  properties: { items: { type: 'array', items: scheduleSchema }, next_page_token: { type: 'string', nullable: true } },
  required: ['items', 'next_page_token'],
} as const;

const bodyProperties = {
  name: { type: 'string' },
  description: { type: ['string', 'null'] },
  'attribution-actor': { type: 'string', enum: ['current', 'system'] },
  parameters: parametersSchema,
  timetable: { type: 'object' },
  /** circlet extension: the pipeline definition the schedule runs (docs/pipeline-definitions.md). */
  'definition-id': { type: ['string', 'null'], format: 'uuid' },
} as const;

const createBody = {
  type: 'object',
  properties: bodyProperties,
  required: ['name', 'timetable', 'attribution-actor', 'parameters'],
  additionalProperties: false,
} as const;

const updateBody = { type: ['object', 'null'], properties: bodyProperties, additionalProperties: false } as const;

const scheduleIdParams = { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] } as const;

interface ScheduleBody {
  name?: string;
  description?: string | null;
  'attribution-actor'?: 'current' | 'system';
  parameters?: Record<string, unknown>;
  timetable?: Record<string, unknown>;
  'definition-id'?: string | null;
}

// ---- bodies ----

function scheduleBody(s: Schedule, project: ProjectWithOrg, actor: User | undefined) {
  return {
    id: s.id,
    name: s.name,
    description: s.description,
    'project-slug': projectSlugOf(project),
    parameters: JSON.parse(s.parameters) as Record<string, unknown>,
    actor:
      s.attribution_actor === 'system' || !actor ? SYSTEM_ACTOR : { id: actor.id, login: actor.login, name: actor.name, avatar_url: actor.avatar_url },
    timetable: JSON.parse(s.timetable) as Timetable,
    'created-at': s.created_at,
    'updated-at': s.updated_at,
    ...(s.definition_id !== null ? { 'definition-id': s.definition_id } : {}),
  };
}

async function present(deps: HttpDeps, s: Schedule, project: ProjectWithOrg) {
  const actor = s.attribution_actor === 'current' && s.actor_user_id ? await getUser(deps.database.db, s.actor_user_id) : undefined;
  return scheduleBody(s, project, actor);
}

// ---- validation and access ----

/** Why a schedule name is not acceptable, or undefined. */
export function scheduleNameProblem(name: string): string | undefined {
  if (name.trim() === '') return 'must contain at least one non-whitespace character';
  if (name.length > MAX_NAME) return `must be ${MAX_NAME} characters or fewer`;
  return undefined;
}

/**
 * Why a schedule's parameters are not acceptable, or undefined. Like CircleCI's, they must
 * name the git ref the pipelines run on: `branch` or `tag` (a non-empty string), not both.
 * The scheduler takes them out of the parameters and uses them as the trigger's ref.
 */
export function scheduleParametersProblem(parameters: Record<string, unknown>): string | undefined {
  const { branch, tag } = parameters;
  if (branch === undefined && tag === undefined) return "Invalid body field 'parameters': must contain 'branch' or 'tag'";
  if (branch !== undefined && tag !== undefined) return "Invalid body field 'parameters': give either 'branch' or 'tag', not both";
  for (const [key, value] of [['branch', branch] as const, ['tag', tag] as const]) {
    if (value !== undefined && (typeof value !== 'string' || value.trim() === '')) return `Invalid body field 'parameters.${key}': must be a non-empty string`;
  }
  return undefined;
}

function checkTimetable(input: unknown): Timetable {
  const result = validateTimetable(input);
  if (!result.ok) throw new CircletError('TIMETABLE_INVALID', { problem: result.message });
  return result.timetable;
}

async function requireSchedule(deps: HttpDeps, req: FastifyRequest, id: string): Promise<{ schedule: Schedule; project: ProjectWithOrg }> {
  const schedule = UUID_RE.test(id) ? await getSchedule(deps.database.db, id) : undefined;
  const project = schedule && (await getProject(deps.database.db, schedule.project_id));
  if (!schedule || !project || !(await isMember(deps.database.db, project.organization_id, req.user.id))) throw new CircletError('SCHEDULE_NOT_FOUND');
  return { schedule, project };
}

// ---- routes ----

export function scheduleRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const tags = ['Schedule'];
  const now = () => deps.engine.now();

  app.post<{ Params: SlugParams; Body: ScheduleBody }>(
    '/project/:provider/:organization/:project/schedule',
    {
      schema: { tags, operationId: 'createSchedule', params: projectSlugParams, body: createBody, response: { 201: scheduleSchema, ...errorResponses } },
      validatorCompiler: strictBodyValidator,
    },
    async (req, reply) => {
      const project = await requireProject(deps, req, req.params);
      const body = req.body;
      const nameProblem = scheduleNameProblem(body.name!);
      if (nameProblem) throw new CircletError('INVALID_BODY_FIELD', { problem: nameProblem, field: 'name' });
      const paramsProblem = scheduleParametersProblem(body.parameters!);
      if (paramsProblem) throw new CircletError('SCHEDULE_PARAMETERS_INVALID', { problem: paramsProblem });
      const timetable = checkTimetable(body.timetable);
      const definitionId = body['definition-id'] ? (await requireDefinition(deps, project, body['definition-id'])).id : null;
      const at = now();
      const id = newId();
      const row: Schedule = {
        id,
        project_id: project.id,
        name: body.name!,
        description: body.description ?? null,
        timetable: JSON.stringify(timetable),
        parameters: JSON.stringify(body.parameters),
        attribution_actor: body['attribution-actor']!,
        actor_user_id: req.user.id,
        next_run_at: nextRunAt(timetable, at, id),
        last_claimed_run_at: null,
        definition_id: definitionId,
        created_at: nowIso(at),
        updated_at: nowIso(at),
      };
      await insertSchedule(deps.database.db, row);
      await audit(deps, req, projectEvent(project, 'schedule.created', { type: 'schedule', id, name: row.name }));
      return reply.status(201).send(scheduleBody(row, project, req.user));
    },
  );

  app.get<{ Params: SlugParams; Querystring: { 'page-token'?: string } }>(
    '/project/:provider/:organization/:project/schedule',
    {
      schema: {
        tags,
        operationId: 'listSchedulesForProject',
        params: projectSlugParams,
        querystring: { type: 'object', properties: { 'page-token': { type: 'string' } } },
        response: { 200: scheduleListSchema, ...errorResponses },
      },
    },
    async (req) => {
      const project = await requireProject(deps, req, req.params);
      const token = req.query['page-token'];
      const after = token ? (decodePageToken(token, 2) as [string, string]) : undefined;
      if (after && (typeof after[0] !== 'string' || typeof after[1] !== 'string')) throw new CircletError('BAD_PAGE_TOKEN');
      const rows = await listSchedules(deps.database.db, project.id, PAGE_SIZE, after);
      const page = pageOf(rows, PAGE_SIZE, (s) => [s.created_at, s.id]);
      return { items: await Promise.all(page.items.map((s) => present(deps, s, project))), next_page_token: page.next_page_token };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/schedule/:id',
    { schema: { tags, operationId: 'getScheduleById', params: scheduleIdParams, response: { 200: scheduleSchema, ...errorResponses } } },
    async (req) => {
      const { schedule, project } = await requireSchedule(deps, req, req.params.id);
      return present(deps, schedule, project);
    },
  );

  app.patch<{ Params: { id: string }; Body: ScheduleBody | null | undefined }>(
    '/schedule/:id',
    {
      schema: { tags, operationId: 'updateSchedule', params: scheduleIdParams, body: updateBody, response: { 200: scheduleSchema, ...errorResponses } },
      validatorCompiler: strictBodyValidator,
    },
    async (req) => {
      const { schedule, project } = await requireSchedule(deps, req, req.params.id);
      const body = req.body ?? {};
      const at = now();
      const changes: ScheduleChanges = { updated_at: nowIso(at) };
      if (body.name !== undefined) {
        const problem = scheduleNameProblem(body.name);
        if (problem) throw new CircletError('INVALID_BODY_FIELD', { problem, field: 'name' });
        changes.name = body.name;
      }
      if (body.description !== undefined) changes.description = body.description;
      if (body['definition-id'] !== undefined) changes.definition_id = body['definition-id'] ? (await requireDefinition(deps, project, body['definition-id'])).id : null;
      if (body.parameters !== undefined) {
        const problem = scheduleParametersProblem(body.parameters);
        if (problem) throw new CircletError('SCHEDULE_PARAMETERS_INVALID', { problem });
        changes.parameters = JSON.stringify(body.parameters);
      }
      if (body.timetable !== undefined) {
        const timetable = checkTimetable(mergeTimetable(JSON.parse(schedule.timetable) as Timetable, body.timetable));
        changes.timetable = JSON.stringify(timetable);
        changes.next_run_at = nextRunAt(timetable, at, schedule.id);
      }
      if (body['attribution-actor'] !== undefined) {
        changes.attribution_actor = body['attribution-actor'];
        // `current` means the caller making this request, as on create.
        changes.actor_user_id = req.user.id;
      }
      await updateSchedule(deps.database.db, schedule.id, changes);
      await audit(deps, req, projectEvent(project, 'schedule.updated', { type: 'schedule', id: schedule.id, name: changes.name ?? schedule.name }, { fields: Object.keys(body).sort().join(',') }));
      return present(deps, { ...schedule, ...changes }, project);
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/schedule/:id',
    { schema: { tags, operationId: 'deleteScheduleById', params: scheduleIdParams, response: { 200: messageSchema, ...errorResponses } } },
    async (req) => {
      const { schedule, project } = await requireSchedule(deps, req, req.params.id);
      await deleteSchedule(deps.database.db, schedule.id);
      await audit(deps, req, projectEvent(project, 'schedule.deleted', { type: 'schedule', id: schedule.id, name: schedule.name }));
      return { message: 'Schedule deleted.' };
    },
  );
}
