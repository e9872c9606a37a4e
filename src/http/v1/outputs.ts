// v1.1 build outputs: artifacts, tests, latest artifacts, presigned step output.
import { parseIndexSegment } from '../../domain/numbers.ts';
import crypto from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { CircletError } from '../../domain/errors.ts';
import { artifactsOfJob } from '../../storage/artifacts.ts';
import type { Job } from '../../storage/jobs.ts';
import { outputOfStep } from '../../storage/steps.ts';
import { testResultsOfJob } from '../../storage/test-results.ts';
import type { HttpDeps } from '../deps.ts';
import { requireProject } from '../project-access.ts';
import { signOutput } from './services/step-output.ts';
import { BUILD_FILTERS, type BuildFilter } from './services/builds.ts';
import { artifactUrl } from '../artifacts.ts';
import { requireJobByNumber } from '../pipeline-access.ts';
import { latestNumberedJob } from '../../storage/builds.ts';

interface V1Params {
  vcs: string;
  org: string;
  repo: string;
}

const slug = (p: V1Params) => ({ provider: p.vcs, organization: p.org, project: p.repo });

export function v1OutputRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const artifactsBody = (job: Job, rows: Awaited<ReturnType<typeof artifactsOfJob>>) =>
    rows.map((a) => ({ path: a.path, pretty_path: a.path, node_index: a.node_index, url: artifactUrl(deps.engine.baseUrl, job.id, a.node_index, a.path) }));

  app.get<{ Params: V1Params & { build_num: string } }>('/project/:vcs/:org/:repo/:build_num/artifacts', { schema: { hide: true } }, async (req) => {
    const { job } = await requireJobByNumber(deps, req, { ...slug(req.params), number: req.params.build_num });
    return artifactsBody(job, await artifactsOfJob(deps.database.db, job.id));
  });

  app.get<{ Params: V1Params & { build_num: string } }>('/project/:vcs/:org/:repo/:build_num/tests', { schema: { hide: true } }, async (req) => {
    const { job } = await requireJobByNumber(deps, req, { ...slug(req.params), number: req.params.build_num });
    const rows = await testResultsOfJob(deps.database.db, job.id, 100_000);
    return { tests: rows.map((t) => ({ message: t.message || null, file: t.file, source: t.source, run_time: t.run_time, result: t.result, name: t.name, classname: t.classname })) };
  });

  app.get<{ Params: V1Params; Querystring: { branch?: string; filter?: Exclude<BuildFilter, 'running'> } }>(
    '/project/:vcs/:org/:repo/latest/artifacts',
    { schema: { hide: true, querystring: { type: 'object', properties: { branch: { type: 'string' }, filter: { type: 'string', enum: ['completed', 'successful', 'failed'] } } } } },
    async (req) => {
      const project = await requireProject(deps, req, slug(req.params));
      const statuses = BUILD_FILTERS[(req.query.filter ?? 'completed') as BuildFilter];
      const job = await latestNumberedJob(deps.database.db, project.id, { branch: req.query.branch || undefined, statuses });
      if (!job) return [];
      return artifactsBody(job, await artifactsOfJob(deps.database.db, job.id));
    },
  );

  // The target of `steps[].actions[].output_url`: presigned, so it needs no token.
  app.get<{ Params: { taskId: string; step: string }; Querystring: { expires?: string; sig?: string } }>(
    '/step-output/:taskId/:step',
    { config: { public: true }, schema: { hide: true } },
    async (req) => {
      const step = parseIndexSegment(req.params.step);
      const expires = Number(req.query.expires);
      const sig = typeof req.query.sig === 'string' ? req.query.sig : '';
      const want = step !== undefined && Number.isSafeInteger(expires) ? signOutput(deps, req.params.taskId, step, expires) : '';
      const [given, wanted] = [Buffer.from(sig), Buffer.from(want)];
      const ok = want !== '' && given.length === wanted.length && crypto.timingSafeEqual(given, wanted);
      if (!ok || step === undefined) throw new CircletError('OUTPUT_SIGNATURE_INVALID');
      if (Date.now() > expires) throw new CircletError('OUTPUT_URL_EXPIRED');
      const rows = await outputOfStep(deps.database.db, req.params.taskId, step, -1, 1_000_000);
      return rows.map((r) => ({ type: r.stream, time: r.at, message: r.data }));
    },
  );
}
