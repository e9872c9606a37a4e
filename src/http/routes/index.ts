// Every route module, one per API tag. Each registers its routes on the app.
import type { FastifyInstance } from 'fastify';
import type { HttpDeps } from '../deps.ts';
import { checkoutKeyRoutes } from './checkout-key.ts';
import { compileRoutes } from './compile.ts';
import { contextRoutes } from './context.ts';
import { envVarRoutes } from './envvar.ts';
import { forgeHookRoutes } from './forge-hooks.ts';
import { gitRoutes } from './git.ts';
import { jobRoutes } from './job.ts';
import { jobOutputRoutes } from './job-outputs.ts';
import { insightsRoutes } from './insights.ts';
import { v1OutputRoutes } from './v1-outputs.ts';
import { pipelineRoutes } from './pipeline.ts';
import { pipelineDefinitionRoutes } from './pipeline-definition.ts';
import { pipelineRunRoutes } from './pipeline-run.ts';
import { workflowRoutes } from './workflow.ts';
import { projectRoutes } from './project.ts';
import { runnerRoutes } from './runner.ts';
import { runnerOutputRoutes } from './runner-outputs.ts';
import { scheduleRoutes } from './schedule.ts';
import { userRoutes } from './user.ts';
import { v1BuildRoutes } from './v1-builds.ts';
import { v1ProjectRoutes } from './v1-project.ts';
import { webhookRoutes } from './webhook.ts';

export type RouteModule = (app: FastifyInstance, deps: HttpDeps) => void | Promise<void>;

export const routeModules: RouteModule[] = [userRoutes, projectRoutes, envVarRoutes, checkoutKeyRoutes, contextRoutes, runnerRoutes, runnerOutputRoutes, pipelineRoutes, workflowRoutes, jobRoutes, pipelineRunRoutes, pipelineDefinitionRoutes, v1BuildRoutes, v1ProjectRoutes, jobOutputRoutes, v1OutputRoutes, compileRoutes, scheduleRoutes, webhookRoutes, forgeHookRoutes, insightsRoutes, gitRoutes];
