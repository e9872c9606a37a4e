// Every route module, one per API tag. Each registers its routes on the app.
import type { FastifyInstance } from 'fastify';
import type { HttpDeps } from '../deps.ts';
import { checkoutKeyRoutes } from '../v2/checkout-key.ts';
import { compileRoutes } from '../v2/compile.ts';
import { contextRoutes } from '../v2/context.ts';
import { envVarRoutes } from '../v2/envvar.ts';
import { forgeHookRoutes } from '../hooks/forge.ts';
import { gitRoutes } from '../runner/git.ts';
import { jobRoutes } from '../v2/job.ts';
import { jobOutputRoutes } from '../v2/job-outputs.ts';
import { insightsRoutes } from '../v2/insights.ts';
import { v1OutputRoutes } from '../v1/outputs.ts';
import { pipelineRoutes } from '../v2/pipeline.ts';
import { pipelineDefinitionRoutes } from '../v2/pipeline-definition.ts';
import { pipelineRunRoutes } from '../v2/pipeline-run.ts';
import { workflowRoutes } from '../v2/workflow.ts';
import { projectRoutes } from '../v2/project.ts';
import { runnerRoutes } from '../runner/protocol.ts';
import { runnerOutputRoutes } from '../runner/outputs.ts';
import { scheduleRoutes } from '../v2/schedule.ts';
import { userRoutes } from '../v2/user.ts';
import { v1BuildRoutes } from '../v1/builds.ts';
import { v1ProjectRoutes } from '../v1/project.ts';
import { webhookRoutes } from '../v2/webhook.ts';

export type RouteModule = (app: FastifyInstance, deps: HttpDeps) => void | Promise<void>;

export const routeModules: RouteModule[] = [userRoutes, projectRoutes, envVarRoutes, checkoutKeyRoutes, contextRoutes, runnerRoutes, runnerOutputRoutes, pipelineRoutes, workflowRoutes, jobRoutes, pipelineRunRoutes, pipelineDefinitionRoutes, v1BuildRoutes, v1ProjectRoutes, jobOutputRoutes, v1OutputRoutes, compileRoutes, scheduleRoutes, webhookRoutes, forgeHookRoutes, insightsRoutes, gitRoutes];
