// A project in v1.1's shape (`GET /projects`, follow/unfollow).
import { shortProvider } from '../../../domain/slug.ts';
import type { ProjectWithOrg } from '../../../storage/projects.ts';

export function v1ProjectBody(p: ProjectWithOrg, following: boolean) {
  return {
    vcs_url: p.vcs_url,
    vcs_type: p.vcs_type,
    username: p.org_name,
    reponame: p.name,
    default_branch: p.default_branch,
    followed: following,
    // Per-branch build summaries are not kept by circlet: `branches` is always empty.
    branches: {},
  };
}

/** A followed project as `GET /api/private/me/followed-projects` lists it. */
export function followedProjectBody(p: ProjectWithOrg) {
  return {
    id: p.id,
    name: p.name,
    slug: `${shortProvider(p.vcs_type)}/${p.org_name}/${p.name}`,
    vcs_type: p.vcs_type,
    vcs_url: p.vcs_url,
    organization_name: p.org_name,
    organization_id: p.organization_id,
    default_branch: p.default_branch,
  };
}
