// The user's projects (from their organizations' recent pipelines), each with the latest
// pipeline of its default branch (the latest of any branch when none ran there) and its status.
import { useState } from 'preact/hooks';
import { Empty, ErrorNote, Loading, Status } from '../components/ui.tsx';
import { v2 } from '../lib/api.ts';
import { relativeTime } from '../lib/format.ts';
import { navigate } from '../lib/navigate.ts';
import { links } from '../lib/router.ts';
import { useApi, type Page } from '../lib/use-api.ts';
import type { Pipeline } from './pipelines.tsx';
import type { Workflow } from './workflow.tsx';

interface Org {
  id: string;
  name: string;
  slug: string;
}

export function ProjectsPage() {
  const orgs = useApi<Org[]>(v2('/me/collaborations'));
  const [slug, setSlug] = useState('');
  if (!orgs.data) return orgs.error ? <ErrorNote error={orgs.error} /> : <Loading what="projects" />;
  return (
    <section>
      <header class="page-head">
        <h1>Projects</h1>
      </header>
      <form
        class="filter"
        onSubmit={(e) => {
          e.preventDefault();
          if (slug.trim()) navigate(links.pipelines(slug.trim()));
        }}
      >
        <label>
          Open project <input value={slug} onInput={(e) => setSlug(e.currentTarget.value)} placeholder="gh/org/repo" />
        </label>
        <button type="submit">Open</button>
      </form>
      {orgs.data.length === 0 ? <Empty>You are in no organization yet — add a project with <code>circlet project add</code>.</Empty> : null}
      {orgs.data.map((o) => (
        <OrgProjects key={o.id} org={o} />
      ))}
    </section>
  );
}

function OrgProjects({ org }: { org: Org }) {
  const list = useApi<Page<Pipeline>>(v2(`/pipeline?org-slug=${encodeURIComponent(org.slug)}`));
  const byProject = new Map<string, Pipeline[]>();
  for (const p of list.data?.items ?? []) (byProject.get(p.project_slug) ?? byProject.set(p.project_slug, []).get(p.project_slug)!).push(p);
  return (
    <div class="org">
      <h2>
        {org.name} <a href={links.contexts(org.slug)}>Contexts</a>
      </h2>
      <ErrorNote error={list.error} />
      {list.data && byProject.size === 0 ? <Empty>No pipelines in {org.name} yet — push to a project's repository or trigger one.</Empty> : null}
      <ul class="projects">
        {[...byProject.entries()].map(([slug, pipelines]) => (
          <ProjectRow key={slug} slug={slug} pipelines={pipelines} />
        ))}
      </ul>
    </div>
  );
}

/** A project with the latest pipeline of its default branch (newest first in `pipelines`). */
function ProjectRow({ slug, pipelines }: { slug: string; pipelines: Pipeline[] }) {
  const project = useApi<{ vcs_info: { default_branch: string } }>(v2(`/project/${slug}`));
  const branch = project.data?.vcs_info.default_branch;
  const p = pipelines.find((x) => x.vcs.branch === branch) ?? pipelines[0]!;
  const wfs = useApi<Page<Workflow>>(v2(`/pipeline/${p.id}/workflow`));
  return (
    <li>
      <a href={links.pipelines(slug)}>{slug.split('/').slice(1).join('/')}</a>
      {(wfs.data?.items ?? []).map((w) => (
        <Status key={w.id} status={w.status} />
      ))}
      <span class="meta">
        #{p.number} {p.vcs.branch ?? ''} · {relativeTime(p.created_at)}
      </span>
    </li>
  );
}
