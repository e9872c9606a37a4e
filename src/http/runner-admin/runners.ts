// GET /api/v3/runner (the runner instances of a class or namespace) and the task counts
// autoscalers poll: /tasks (unclaimed) and /tasks/running, on the rows claims use.
import type { FastifyInstance } from 'fastify';
import { taskCountOfClass } from '../../storage/metrics.ts';
import type { HttpDeps } from '../deps.ts';
import { CircletError } from '../errors.ts';
import { presentRunner } from './presenters/runner.ts';
import { className, organizationIdsOf, readableClass } from './services/access.ts';
import { resourceClassesInNamespace } from '../../storage/resource-classes.ts';

type ClassQuery = { Querystring: { 'resource-class'?: string; namespace?: string } };
const NAMESPACE_RE = /^[A-Za-z0-9_.-]+$/;

const classQuery = {
  type: 'object',
  properties: { 'resource-class': { type: 'string' }, namespace: { type: 'string' } },
} as const;

export function runnerRoutes(app: FastifyInstance, deps: HttpDeps): void {
  app.get<ClassQuery>('/', { schema: { hide: true, querystring: classQuery } }, async (req) => {
    const { 'resource-class': rcName, namespace } = req.query;
    let classes: string[];
    if (rcName !== undefined) {
      classes = [(await readableClass(deps, req, className(rcName))).name];
    } else if (namespace !== undefined && namespace !== '') {
      if (!NAMESPACE_RE.test(namespace)) throw new CircletError('NAMESPACE_INVALID', { namespace });
      classes = (await resourceClassesInNamespace(deps.database.db, namespace, await organizationIdsOf(deps, req))).map((rc) => rc.name);
    } else {
      throw new CircletError('RUNNER_FILTER_REQUIRED');
    }
    const wanted = new Set(classes);
    return { items: deps.engine.runner.agents.list().filter((a) => wanted.has(a.resourceClass)).map(presentRunner) };
  });

  app.get<ClassQuery>('/tasks', { schema: { hide: true, querystring: classQuery }, config: { runnerToken: true } }, async (req) => {
    const rc = await readableClass(deps, req, className(req.query['resource-class']));
    return { unclaimed_task_count: await taskCountOfClass(deps.database.db, rc.name, 'queued') };
  });

  app.get<ClassQuery>('/tasks/running', { schema: { hide: true, querystring: classQuery }, config: { runnerToken: true } }, async (req) => {
    const rc = await readableClass(deps, req, className(req.query['resource-class']));
    return { running_runs_count: await taskCountOfClass(deps.database.db, rc.name, 'running') };
  });
}
