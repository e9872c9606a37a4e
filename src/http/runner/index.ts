// The runner protocol (docs/runner-protocol.md): what agents call, with runner tokens; and
// checkouts of project mirrors over git smart HTTP, with task-scoped credentials.
import type { RouteModule } from '../routes.ts';
import { gitRoutes } from './git.ts';
import { runnerOutputRoutes } from './outputs.ts';
import { runnerRoutes } from './protocol.ts';

export const runnerApiRoutes: RouteModule[] = [runnerRoutes, runnerOutputRoutes, gitRoutes];
