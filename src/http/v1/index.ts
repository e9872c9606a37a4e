// API v1.1 (CircleCI's legacy API): builds, project triggers and caches, build outputs.
import type { RouteModule } from '../routes.ts';
import { v1BuildRoutes } from './builds.ts';
import { v1OutputRoutes } from './outputs.ts';
import { v1ProjectRoutes } from './project.ts';

export const v1Routes: RouteModule[] = [v1BuildRoutes, v1ProjectRoutes, v1OutputRoutes];
