// CircleCI's private plain-text output endpoints (under /api/private): one step's stdout or stderr.
import { parseIndexSegment } from '../../domain/numbers.ts';
import type { FastifyInstance } from 'fastify';
import { CircletError } from '../../domain/errors.ts';
import { taskOfJobNode } from '../../storage/jobs.ts';
import { outputOfStep } from '../../storage/steps.ts';
import type { HttpDeps } from '../deps.ts';
import { requireJobByNumber } from '../pipeline-access.ts';
import type { requireProject } from '../project-access.ts';

interface V1Params {
  vcs: string;
  org: string;
  repo: string;
}

const slug = (p: V1Params) => ({ provider: p.vcs, organization: p.org, project: p.repo });

export function privateOutputRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const raw = (stream: 'out' | 'err') => async (req: { params: V1Params & { job_number: string; index: string; step: string } } & Parameters<typeof requireProject>[1]) => {
    const { job } = await requireJobByNumber(deps, req, { ...slug(req.params), number: req.params.job_number });
    const node = parseIndexSegment(req.params.index);
    const step = parseIndexSegment(req.params.step);
    if (node === undefined || step === undefined) throw new CircletError('OUTPUT_INDEX_INVALID');
    const task = await taskOfJobNode(deps.database.db, job.id, node);
    if (!task) throw new CircletError('OUTPUT_NOT_FOUND');
    const rows = await outputOfStep(deps.database.db, task.id, step, -1, 1_000_000);
    return rows.filter((r) => r.stream === stream).map((r) => r.data).join('');
  };

  app.get('/output/raw/:vcs/:org/:repo/:job_number/output/:index/:step', { schema: { hide: true } }, async (req, reply) =>
    reply.type('text/plain; charset=utf-8').send(await raw('out')(req as never)),
  );
  app.get('/output/raw/:vcs/:org/:repo/:job_number/error/:index/:step', { schema: { hide: true } }, async (req, reply) =>
    reply.type('text/plain; charset=utf-8').send(await raw('err')(req as never)),
  );
}
