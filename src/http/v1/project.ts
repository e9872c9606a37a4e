// API v1.1 project actions: trigger (`POST /project/:vcs/:org/:repo`, `…/tree/:branch`,
// `…/build`) and clearing the dependency caches (`DELETE …/build-cache`). Every trigger
// starts a pipeline (all its workflows), as v2's triggerPipeline does.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Pipeline } from '../../storage/pipelines.ts';
import type { ProjectWithOrg } from '../../storage/projects.ts';
import { triggerByUser } from '../api-trigger.ts';
import type { HttpDeps } from '../deps.ts';
import { CircletError } from '../errors.ts';
import { strictBodyValidator } from '../schemas/validation.ts';
import { parametersSchema } from '../schemas/common.ts';
import { given } from '../schemas/optional.ts';
import { presentSummary, requireV1Project, v1ProjectParams, type V1Params } from './services/builds.ts';
import { numberedJobsOfPipeline } from '../../storage/builds.ts';

/** Deletes a project's saved dependency caches (records and blobs); returns how many. */
export async function deleteProjectCaches(deps: HttpDeps, projectId: string): Promise<number> {
  return deps.engine.clearCaches(projectId);
}

interface TriggerBody {
  branch?: string;
  tag?: string;
  revision?: string;
  /** v1.1: the job to build; circlet runs the whole pipeline and answers with this job's build. */
  job?: string;
  parallel?: number;
  /** v1.1 job environment variables; `CIRCLE_JOB` names the job, like `job`. */
  build_parameters?: Record<string, unknown>;
  /** Pipeline parameters. */
  parameters?: Record<string, unknown>;
}

// Clients send the fields the user left out as `""` or `null` (see schemas/optional.ts): both
// are read as absent.
const optional = { type: ['string', 'null'] } as const;
const triggerBody = {
  type: ['object', 'null'],
  properties: {
    branch: optional,
    tag: optional,
    revision: { type: ['string', 'null'], pattern: '^([0-9a-fA-F]{4,40})?$' },
    job: optional,
    parallel: { type: ['integer', 'null'], minimum: 1 },
    build_parameters: { type: ['object', 'null'] },
    parameters: parametersSchema,
  },
} as const;

/** The body with every empty or null text field read as absent. */
function readBody(raw: TriggerBody | null | undefined): TriggerBody {
  const b = raw ?? {};
  return { ...b, branch: given(b.branch), tag: given(b.tag), revision: given(b.revision), job: given(b.job) };
}

type Req = FastifyRequest<{ Params: V1Params; Body: TriggerBody | null | undefined }>;

async function trigger(deps: HttpDeps, req: Req, project: ProjectWithOrg, body: TriggerBody): Promise<Pipeline> {
  if (body.tag !== undefined && body.revision !== undefined) throw new CircletError('V1_TAG_AND_REVISION');
  if (body.tag !== undefined && body.branch !== undefined) throw new CircletError('V1_TAG_AND_BRANCH');
  return triggerByUser(deps, req, project, body);
}

/**
 * The build a v1.1 trigger answers with: the named job's build when it was started, else
 * the pipeline's first build. A pipeline that started no build (a config error, or only
 * approvals first) answers a build without a number, `dont_build` saying why.
 */
async function triggeredBuild(deps: HttpDeps, project: ProjectWithOrg, pipeline: Pipeline, jobName: string | undefined) {
  const numbered = await numberedJobsOfPipeline(deps.database.db, pipeline.id);
  const job = numbered.find((j) => j.name === jobName) ?? numbered[0];
  if (job) return presentSummary(deps, job);
  const errors = JSON.parse(pipeline.errors) as { message: string }[];
  return {
    vcs_url: project.vcs_url,
    build_num: null,
    branch: pipeline.branch,
    vcs_revision: pipeline.revision,
    vcs_tag: pipeline.tag,
    username: project.org_name,
    reponame: project.name,
    why: 'api',
    dont_build: errors.length > 0 ? errors.map((e) => e.message).join('\n') : 'No job was started by this pipeline',
    lifecycle: 'not_run',
    outcome: null,
    status: 'not_run',
    queued_at: null,
    start_time: null,
    stop_time: null,
    build_time_millis: null,
    job_name: jobName ?? null,
    workflows: null,
    pipeline_id: pipeline.id,
    pipeline_number: pipeline.number,
  };
}

export function v1ProjectRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const jobOf = (b: TriggerBody) => b.job ?? (typeof b.build_parameters?.CIRCLE_JOB === 'string' ? b.build_parameters.CIRCLE_JOB : undefined);

  app.post<{ Params: V1Params; Body: TriggerBody | null | undefined }>(
    '/project/:vcs/:org/:repo',
    { validatorCompiler: strictBodyValidator, schema: { params: v1ProjectParams, body: triggerBody } },
    async (req) => {
      const project = await requireV1Project(deps, req, req.params);
      const body = readBody(req.body);
      const pipeline = await trigger(deps, req, project, body);
      return triggeredBuild(deps, project, pipeline, jobOf(body));
    },
  );

  // The branch may contain slashes, url-encoded or not.
  app.post<{ Params: V1Params & { '*': string }; Body: TriggerBody | null | undefined }>(
    '/project/:vcs/:org/:repo/tree/*',
    { validatorCompiler: strictBodyValidator, schema: { body: triggerBody } },
    async (req) => {
      const project = await requireV1Project(deps, req, req.params);
      const body = readBody(req.body);
      const branch = decodeURIComponent(req.params['*']);
      if (!branch) throw new CircletError('V1_BRANCH_REQUIRED');
      if (body.tag !== undefined || body.branch !== undefined) throw new CircletError('V1_BRANCH_IN_PATH');
      const pipeline = await trigger(deps, req as unknown as Req, project, { ...body, branch });
      return triggeredBuild(deps, project, pipeline, jobOf(body));
    },
  );

  app.post<{ Params: V1Params; Body: Pick<TriggerBody, 'branch' | 'tag' | 'revision' | 'parameters'> | null | undefined }>(
    '/project/:vcs/:org/:repo/build',
    {
      validatorCompiler: strictBodyValidator,
      schema: {
        params: v1ProjectParams,
        body: {
          type: ['object', 'null'],
          properties: { branch: optional, tag: optional, revision: triggerBody.properties.revision, parameters: parametersSchema },
        },
      },
    },
    async (req) => {
      const project = await requireV1Project(deps, req, req.params);
      const body = readBody(req.body);
      if (body.tag !== undefined && (body.branch !== undefined || body.revision !== undefined)) throw new CircletError('V1_TAG_WITH_BRANCH_OR_REVISION');
      await trigger(deps, req, project, body);
      return { status: 200, body: 'Build created' };
    },
  );

  app.delete<{ Params: V1Params }>('/project/:vcs/:org/:repo/build-cache', { schema: { params: v1ProjectParams } }, async (req) => {
    const project = await requireV1Project(deps, req, req.params);
    await deleteProjectCaches(deps, project.id);
    return { status: 'build dependency caches deleted' };
  });
}
