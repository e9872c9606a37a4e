// Incoming git-forge webhooks (GitHub, Gitea/Forgejo, GitLab, plain git): each checks its own signature.
import type { RouteModule } from '../routes.ts';
import { forgeHookRoutes } from './forge.ts';

export const hookRoutes: RouteModule[] = [forgeHookRoutes];
