// The dashboard's pages and their URLs (CircleCI's own paths, as the API's `web_url`s).
// Pure: a path in, a route out.

export type Route =
  | { name: 'sign-in'; next: string }
  | { name: 'projects' }
  | { name: 'pipelines'; slug: string; branch?: string }
  | { name: 'pipeline'; slug: string; number: number }
  | { name: 'workflow'; slug: string; number: number; workflowId: string }
  | { name: 'job'; slug: string; number: number; workflowId: string; jobNumber: number }
  | { name: 'settings'; slug: string }
  | { name: 'tokens' }
  | { name: 'contexts'; org: string }
  | { name: 'insights'; slug: string }
  | { name: 'not-found'; path: string };

const seg = '([^/]+)';
const slug = `${seg}/${seg}/${seg}`;
const patterns: [RegExp, (m: string[], q: URLSearchParams) => Route][] = [
  [/^\/(?:projects)?$/, () => ({ name: 'projects' })],
  [/^\/sign-in$/, (_m, q) => ({ name: 'sign-in', next: safeNext(q.get('next')) })],
  [new RegExp(`^/pipelines/${slug}$`), (m, q) => ({ name: 'pipelines', slug: join(m), ...(q.get('branch') ? { branch: q.get('branch')! } : {}) })],
  [new RegExp(`^/pipelines/${slug}/(\\d+)$`), (m) => ({ name: 'pipeline', slug: join(m), number: Number(m[4]) })],
  [new RegExp(`^/pipelines/${slug}/(\\d+)/workflows/${seg}$`), (m) => ({ name: 'workflow', slug: join(m), number: Number(m[4]), workflowId: m[5]! })],
  [
    new RegExp(`^/pipelines/${slug}/(\\d+)/workflows/${seg}/jobs/(\\d+)$`),
    (m) => ({ name: 'job', slug: join(m), number: Number(m[4]), workflowId: m[5]!, jobNumber: Number(m[6]) }),
  ],
  [new RegExp(`^/settings/project/${slug}$`), (m) => ({ name: 'settings', slug: join(m) })],
  [/^\/settings\/user\/tokens$/, () => ({ name: 'tokens' })],
  [new RegExp(`^/organization/${seg}/${seg}/contexts$`), (m) => ({ name: 'contexts', org: `${m[1]}/${m[2]}` })],
  [new RegExp(`^/insights/${slug}$`), (m) => ({ name: 'insights', slug: join(m) })],
];

function join(m: string[]): string {
  return [m[1], m[2], m[3]].map((s) => decodeURIComponent(s!)).join('/');
}

/** Only a path on this site may be a return address (never `//evil` or `https://…`). */
export function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/sign-in') ? next : '/';
}

export function matchRoute(pathname: string, search = ''): Route {
  const path = pathname.length > 1 ? pathname.replace(/\/+$/, '') : pathname;
  const q = new URLSearchParams(search);
  for (const [re, make] of patterns) {
    const m = re.exec(path);
    if (m) return make(m as unknown as string[], q);
  }
  return { name: 'not-found', path };
}

/** Links to the pages. */
export const links = {
  pipelines: (slug: string, branch?: string) => `/pipelines/${slug}${branch ? `?branch=${encodeURIComponent(branch)}` : ''}`,
  pipeline: (slug: string, n: number) => `/pipelines/${slug}/${n}`,
  workflow: (slug: string, n: number, id: string) => `/pipelines/${slug}/${n}/workflows/${id}`,
  job: (slug: string, n: number, wf: string, job: number) => `/pipelines/${slug}/${n}/workflows/${wf}/jobs/${job}`,
  settings: (slug: string) => `/settings/project/${slug}`,
  tokens: () => '/settings/user/tokens',
  insights: (slug: string) => `/insights/${slug}`,
  contexts: (org: string) => `/organization/${org}/contexts`,
  signIn: (next: string) => `/sign-in?next=${encodeURIComponent(next)}`,
};
