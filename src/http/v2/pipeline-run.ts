// triggerPipelineRun (`POST /project/{slug}/pipeline/run`, "[Recommended] Trigger a new
// pipeline"): like triggerPipeline, but the ref the config is read from (`config`) and the
// ref that is checked out (`checkout`) are named apart, and the config may be given inline.
import type { FastifyInstance } from 'fastify';
import { GitError, type ResolvedRevision } from '../../engine/services/git-mirror.ts';
import { CONFIG_PATH } from '../../engine/pipeline/trigger.ts';
import type { ProjectWithOrg } from '../../storage/projects.ts';
import type { HttpDeps } from '../deps.ts';
import { CircletError } from '../errors.ts';
import { requireProject, type SlugParams } from '../project-access.ts';
import { messageSchema, projectSlugParams } from '../schemas/common.ts';
import { strictBodyValidator } from '../schemas/validation.ts';
import { requireDefinition } from './services/definitions.ts';
import { parametersSchema } from '../schemas/common.ts';
import { given, optionalText } from '../schemas/optional.ts';

interface Ref {
  branch?: string;
  tag?: string;
}

interface RunBody {
  definition_id?: string;
  config?: Ref & { content?: string };
  checkout?: Ref;
  parameters?: Record<string, unknown>;
}

const refProperties = { branch: optionalText, tag: optionalText } as const;

const runBody = {
  type: ['object', 'null'],
  additionalProperties: false,
  properties: {
    definition_id: { anyOf: [{ type: 'string', format: 'uuid' }, { const: '' }] },
    config: { type: 'object', additionalProperties: false, properties: { ...refProperties, content: optionalText } },
    checkout: { type: 'object', additionalProperties: false, properties: refProperties },
    parameters: parametersSchema,
  },
} as const;

const createdSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    state: { type: 'string', enum: ['created', 'errored', 'setup-pending', 'setup', 'pending'] },
    number: { type: 'integer' },
    created_at: { type: 'string', format: 'date-time' },
  },
  required: ['id', 'state', 'number', 'created_at'],
} as const;

/** The ref given; an empty branch or tag is not given. */
function refOf(given_: Ref | undefined, what: string): Ref | undefined {
  const r = { branch: given(given_?.branch), tag: given(given_?.tag) };
  if (r.branch === undefined && r.tag === undefined) return undefined;
  if (r.branch !== undefined && r.tag !== undefined) throw new CircletError('BRANCH_AND_TAG_EXCLUSIVE', { what });
  return r.tag !== undefined ? { tag: r.tag } : { branch: r.branch };
}

const sameRef = (a: Ref, b: Ref) => a.branch === b.branch && a.tag === b.tag;
const describeRef = (r: Ref) => (r.tag !== undefined ? `tag '${r.tag}'` : `branch '${r.branch}'`);

/** The commit a ref names and the config file in it, or the git error. */
async function resolveAt(deps: HttpDeps, project: ProjectWithOrg, ref: Ref, configPath?: string): Promise<ResolvedRevision | GitError> {
  try {
    return await deps.engine.resolveRevision(project, ref, configPath);
  } catch (err) {
    if (err instanceof GitError) return err;
    throw err;
  }
}

/** The config file at another ref than the one checked out. */
async function configAt(deps: HttpDeps, project: ProjectWithOrg, ref: Ref, configPath: string): Promise<string> {
  const resolved = await resolveAt(deps, project, ref, configPath);
  if (resolved instanceof GitError) throw new CircletError('CONFIG_FETCH_FAILED', { ref: describeRef(ref), reason: resolved.message });
  if (resolved.file === null) throw new CircletError('CONFIG_NOT_FOUND', { path: configPath, ref: describeRef(ref) });
  return resolved.file;
}

/** `[ci skip]` or `[skip ci]` in the commit's subject or body, as CircleCI honours them. */
const CI_SKIP = /\[(ci skip|skip ci)\]/i;

export function pipelineRunRoutes(app: FastifyInstance, deps: HttpDeps): void {
  app.post<{ Params: SlugParams; Body: RunBody | null | undefined }>(
    '/project/:provider/:organization/:project/pipeline/run',
    {
      validatorCompiler: strictBodyValidator,
      schema: {
        tags: ['Pipeline'],
        operationId: 'triggerPipelineRun',
        params: projectSlugParams,
        body: runBody,
        response: { 200: messageSchema, 201: createdSchema, 400: messageSchema, 401: messageSchema, 404: messageSchema },
      },
    },
    async (req, reply) => {
      const project = await requireProject(deps, req, req.params);
      const body = req.body ?? {};
      const definitionId = given(body.definition_id);
      // A definition names the config file to run; without one, `.circleci/config.yml`.
      const configPath = definitionId !== undefined ? (await requireDefinition(deps, project, definitionId)).config_file_path : CONFIG_PATH;
      const configRef = refOf(body.config, 'config');
      const checkoutRef = refOf(body.checkout, 'checkout');
      // Each side defaults to the other, and both to the project's default branch.
      const checkout = checkoutRef ?? configRef ?? { branch: project.default_branch };
      const configFrom = configRef ?? checkout;
      // A checkout commit asking to be skipped starts no pipeline (200, as CircleCI answers).
      // A ref that cannot be fetched is left to the trigger: an errored pipeline says why.
      const head = await resolveAt(deps, project, checkout);
      if (!(head instanceof GitError) && CI_SKIP.test(`${head.commit.subject}\n${head.commit.body}`)) {
        return reply.status(200).send({ message: 'Ignoring pipeline due to CI skip in the commit' });
      }
      // An empty `content` is no override: the config is read from the ref.
      let configContent = given(body.config?.content);
      if (configContent === undefined && !sameRef(configFrom, checkout)) configContent = await configAt(deps, project, configFrom, configPath);
      const { pipeline } = await deps.engine.trigger({
        project,
        actorId: req.user.id,
        triggerType: 'api',
        branch: checkout.branch,
        tag: checkout.tag,
        parameters: body.parameters,
        configContent,
        configPath,
      });
      return reply.status(201).send({ id: pipeline.id, state: pipeline.state, number: pipeline.number, created_at: pipeline.created_at });
    },
  );
}
