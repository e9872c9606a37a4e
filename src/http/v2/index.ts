// API v2 (CircleCI's current API): one route file per OpenAPI tag, presenters/ and schemas/ beside them.
import type { FastifyInstance } from 'fastify';
import { requireTokens } from '../auth.ts';
import type { HttpDeps } from '../deps.ts';
import type { RouteModule } from '../routes.ts';
import { auditLogRoutes } from './audit-log.ts';
import { checkoutKeyRoutes } from './checkout-key.ts';
import { compileRoutes } from './compile.ts';
import { contextRoutes } from './context.ts';
import { deployRoutes } from './deploy.ts';
import { envVarRoutes } from './envvar.ts';
import { incomingWebhookRoutes } from './incoming-webhooks.ts';
import { insightsRoutes } from './insights.ts';
import { jobOutputRoutes } from './job-outputs.ts';
import { groupRoutes } from './groups.ts';
import { jobRoutes } from './job.ts';
import { oidcRoutes } from './oidc.ts';
import { organizationRoutes } from './organization.ts';
import { pipelineDefinitionRoutes } from './pipeline-definition.ts';
import { pipelineRunRoutes } from './pipeline-run.ts';
import { pipelineRoutes } from './pipeline.ts';
import { policyRoutes } from './policy.ts';
import { projectRoutes } from './project.ts';
import { scheduleRoutes } from './schedule.ts';
import { triggerRoutes } from './trigger.ts';
import { usageRoutes } from './usage.ts';
import { userRoutes } from './user.ts';
import { webhookRoutes } from './webhook.ts';
import { workflowRoutes } from './workflow.ts';

export const v2Routes: RouteModule[] = [
  userRoutes,
  projectRoutes,
  envVarRoutes,
  checkoutKeyRoutes,
  contextRoutes,
  pipelineRoutes,
  workflowRoutes,
  jobRoutes,
  pipelineRunRoutes,
  pipelineDefinitionRoutes,
  triggerRoutes,
  jobOutputRoutes,
  compileRoutes,
  scheduleRoutes,
  webhookRoutes,
  incomingWebhookRoutes,
  insightsRoutes,
  policyRoutes,
  usageRoutes,
  oidcRoutes,
  organizationRoutes,
  groupRoutes,
  deployRoutes,
  auditLogRoutes,
];

/** API v2 under /api/v2: every route needs a user's token unless it is marked public. */
export async function v2Api(app: FastifyInstance, deps: HttpDeps): Promise<void> {
  requireTokens(app, deps);
  for (const routes of v2Routes) await app.register(async (scope) => routes(scope, deps));
  app.get('/openapi.json', { schema: { hide: true }, config: { public: true } }, async () => app.swagger());
}
