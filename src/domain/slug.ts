// Project and organization slugs: gh|github|bb|bitbucket|circleci/<org>/<repo>.

export type VcsType = 'github' | 'bitbucket' | 'circleci';

const PROVIDERS: Record<string, VcsType> = {
  gh: 'github',
  github: 'github',
  bb: 'bitbucket',
  bitbucket: 'bitbucket',
  circleci: 'circleci',
};

export function vcsTypeOf(provider: string): VcsType | undefined {
  return PROVIDERS[provider.toLowerCase()];
}

/** The short provider used in slugs CircleCI returns (`gh/org/repo`). */
export function shortProvider(vcs: string): string {
  if (vcs === 'github') return 'gh';
  if (vcs === 'bitbucket') return 'bb';
  return vcs;
}

export interface ProjectSlug {
  vcs: VcsType;
  /** Organization name (github/bitbucket) or organization id (circleci). */
  org: string;
  /** Repository name (github/bitbucket) or project id (circleci). */
  project: string;
}

/** Parses a slug given as one string (`gh/org/repo`, or `gh%2Forg%2Frepo`). */
export function parseProjectSlug(slug: string): ProjectSlug | undefined {
  const parts = decodeSlashes(slug).split('/');
  if (parts.length !== 3) return undefined;
  return fromSegments(parts[0]!, parts[1]!, parts[2]!);
}

export function fromSegments(provider: string, org: string, project: string): ProjectSlug | undefined {
  const vcs = vcsTypeOf(provider);
  if (!vcs || !org || !project) return undefined;
  return { vcs, org, project };
}

export function decodeSlashes(s: string): string {
  return s.replace(/%2f/gi, '/');
}

export function formatProjectSlug(vcs: string, org: string, repo: string): string {
  return `${shortProvider(vcs)}/${org}/${repo}`;
}

export function formatOrgSlug(vcs: string, org: string): string {
  return `${shortProvider(vcs)}/${org}`;
}

/**
 * The slug CircleCI gives a project: `gh/org/repo`, or `circleci/<org-id>/<project-id>` for a
 * project of a `circleci` organization (whose names are not part of its slug).
 */
export function slugOfProject(p: { vcs_type: string; org_name: string; name: string; organization_id: string; id: string }): string {
  return p.vcs_type === 'circleci' ? `circleci/${p.organization_id}/${p.id}` : formatProjectSlug(p.vcs_type, p.org_name, p.name);
}
