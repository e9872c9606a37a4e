// A project's pipelines: branch filter, status, actor, commit subject, relative time, paged;
// and Trigger pipeline with a branch and parameters.
import { useState } from 'preact/hooks';
import { Crumbs, Empty, ErrorNote, Loading, Status } from '../components/ui.tsx';
import { api, v2 } from '../lib/api.ts';
import { relativeTime } from '../lib/format.ts';
import { navigate } from '../lib/navigate.ts';
import { links } from '../lib/router.ts';
import { useApi, type Page } from '../lib/use-api.ts';
import type { Workflow } from './workflow.tsx';
import { parseParameters } from '../lib/parameters.ts';

export interface Pipeline {
  id: string;
  number: number;
  state: string;
  created_at: string;
  project_slug: string;
  trigger: { type: string; actor: { login: string } };
  vcs: { branch?: string; tag?: string; revision: string; commit?: { subject: string | null } };
}

export function PipelinesPage({ slug, branch }: { slug: string; branch?: string }) {
  const [pages, setPages] = useState<(string | undefined)[]>([undefined]);
  const token = pages[pages.length - 1];
  const q = new URLSearchParams();
  if (branch) q.set('branch', branch);
  if (token) q.set('page-token', token);
  const list = useApi<Page<Pipeline>>(v2(`/project/${slug}/pipeline${q.size ? `?${q}` : ''}`));
  const [showTrigger, setShowTrigger] = useState(false);
  return (
    <section>
      <Crumbs items={[[slug, undefined]]} />
      <header class="page-head">
        <h1>Pipelines</h1>
        <span class="actions">
          <a href={links.insights(slug)}>Insights</a>
          <a href={links.settings(slug)}>Project settings</a>
          <button type="button" class="primary" onClick={() => setShowTrigger(!showTrigger)} aria-expanded={showTrigger}>
            Trigger pipeline
          </button>
        </span>
      </header>
      {showTrigger ? <TriggerForm slug={slug} /> : null}
      <form
        class="filter"
        onSubmit={(e) => {
          e.preventDefault();
          const b = new FormData(e.currentTarget).get('branch') as string;
          setPages([undefined]);
          navigate(links.pipelines(slug, b.trim() || undefined));
        }}
      >
        <label>
          Branch <input name="branch" defaultValue={branch ?? ''} placeholder="all branches" />
        </label>
        <button type="submit">Filter</button>
      </form>
      <ErrorNote error={list.error} />
      {!list.data ? (
        list.error ? null : <Loading what="pipelines" />
      ) : list.data.items.length === 0 ? (
        <Empty>No pipelines yet — push to the repository or click Trigger pipeline.</Empty>
      ) : (
        <table class="list pipelines">
          <thead>
            <tr><th>Status</th><th>Pipeline</th><th>Branch</th><th>Commit</th><th>Actor</th><th>When</th></tr>
          </thead>
          <tbody>
            {list.data.items.map((p) => (
              <PipelineRow key={p.id} slug={slug} p={p} />
            ))}
          </tbody>
        </table>
      )}
      <nav class="pager" aria-label="Pages">
        {pages.length > 1 ? <button type="button" onClick={() => setPages(pages.slice(0, -1))}>Newer</button> : null}
        {list.data?.next_page_token ? <button type="button" onClick={() => setPages([...pages, list.data!.next_page_token!])}>Older</button> : null}
      </nav>
    </section>
  );
}

function PipelineRow({ slug, p }: { slug: string; p: Pipeline }) {
  const wfs = useApi<Page<Workflow>>(v2(`/pipeline/${p.id}/workflow`));
  const statuses = wfs.data?.items ?? [];
  return (
    <tr class="pipeline-row">
      <td>{p.state === 'errored' ? <Status status="error" /> : statuses.length ? statuses.map((w) => <Status key={w.id} status={w.status} />) : <Status status={p.state} />}</td>
      <td>
        <a href={links.pipeline(slug, p.number)}>#{p.number}</a>
        {statuses.map((w) => (
          <a key={w.id} class="wf-link" href={links.workflow(slug, p.number, w.id)}>
            {w.name}
          </a>
        ))}
      </td>
      <td>{p.vcs.branch ?? p.vcs.tag ?? ''}</td>
      <td class="subject">{p.vcs.commit?.subject ?? p.vcs.revision.slice(0, 7)}</td>
      <td>{p.trigger.actor.login}</td>
      <td><time dateTime={p.created_at} title={p.created_at}>{relativeTime(p.created_at)}</time></td>
    </tr>
  );
}

function TriggerForm({ slug }: { slug: string }) {
  const [error, setError] = useState<string>();
  return (
    <form
      class="card trigger"
      onSubmit={async (e) => {
        e.preventDefault();
        const f = new FormData(e.currentTarget);
        const parsed = parseParameters(String(f.get('parameters') ?? ''));
        if (!parsed.ok) return setError(parsed.error);
        try {
          const body = { branch: String(f.get('branch') ?? '').trim() || undefined, parameters: Object.keys(parsed.value).length ? parsed.value : undefined };
          const r = await api.post<{ number: number }>(v2(`/project/${slug}/pipeline`), body);
          navigate(links.pipeline(slug, r.number));
        } catch (err) {
          setError((err as Error).message);
        }
      }}
    >
      <label>
        Branch <input name="branch" placeholder="default branch" />
      </label>
      <label>
        Parameters <textarea name="parameters" rows={3} placeholder={'one per line: name=value'} />
      </label>
      <button type="submit" class="primary">Run pipeline</button>
      <ErrorNote error={error} />
    </form>
  );
}
