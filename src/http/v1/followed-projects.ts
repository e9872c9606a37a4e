// CircleCI's private `GET /api/private/me/followed-projects` (its web app and CLI call it):
// the projects the user follows, paged like v2 lists.
import type { FastifyInstance } from 'fastify';
import { CircletError } from '../../domain/errors.ts';
import { decodePageToken, pageOf } from '../../domain/paging.ts';
import { followedProjects } from '../../storage/follows.ts';
import type { HttpDeps } from '../deps.ts';
import { followedProjectBody } from './presenters/project.ts';

const PAGE = 100;

export function followedProjectRoutes(app: FastifyInstance, deps: HttpDeps): void {
  app.get<{ Querystring: { 'page-token'?: string } }>(
    '/me/followed-projects',
    { schema: { querystring: { type: 'object', properties: { 'page-token': { type: 'string' } } } } },
    async (req) => {
      let after: { vcs: string; org: string; name: string } | undefined;
      const token = req.query['page-token'];
      if (token !== undefined) {
        const [vcs, org, name] = decodePageToken(token, 3);
        if (typeof vcs !== 'string' || typeof org !== 'string' || typeof name !== 'string') throw new CircletError('BAD_PAGE_TOKEN');
        after = { vcs, org, name };
      }
      const rows = await followedProjects(deps.database.db, req.user.id, PAGE, after);
      const page = pageOf(rows, PAGE, (p) => [p.vcs_type, p.org_name, p.name]);
      return { items: page.items.map(followedProjectBody), next_page_token: page.next_page_token };
    },
  );
}
