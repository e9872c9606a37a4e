// One pipeline: its workflows, each with its graph.
import { WorkflowGraph, type WorkflowJob } from '../components/graph.tsx';
import { Crumbs, Empty, ErrorNote, Loading, Status } from '../components/ui.tsx';
import { v2 } from '../lib/api.ts';
import { relativeTime } from '../lib/format.ts';
import { links } from '../lib/router.ts';
import { useApi, type Page } from '../lib/use-api.ts';
import type { Pipeline } from './pipelines.tsx';
import type { Workflow } from './workflow.tsx';

export function PipelinePage({ slug, number }: { slug: string; number: number }) {
  const p = useApi<Pipeline & { errors: { type: string; message: string }[] }>(v2(`/project/${slug}/pipeline/${number}`));
  const wfs = useApi<Page<Workflow>>(p.data ? v2(`/pipeline/${p.data.id}/workflow`) : null, { pollMs: 2000, poll: (w) => w.items.some((x) => ['running', 'on_hold', 'failing'].includes(x.status)) });
  if (!p.data) return p.error ? <ErrorNote error={p.error} /> : <Loading what="pipeline" />;
  const pl = p.data;
  return (
    <section>
      <Crumbs items={[[slug, links.pipelines(slug)], [`Pipeline ${number}`, undefined]]} />
      <header class="page-head">
        <h1>Pipeline {pl.number}</h1>
        <span class="meta">
          {pl.vcs.branch ?? pl.vcs.tag} · {pl.vcs.commit?.subject ?? pl.vcs.revision.slice(0, 7)} · {pl.trigger.actor.login} · {relativeTime(pl.created_at)}
        </span>
      </header>
      {pl.errors.map((e, i) => (
        <p key={i} class="error">
          {e.type}: {e.message}
        </p>
      ))}
      {wfs.data && wfs.data.items.length === 0 ? <Empty>No workflows ran for this pipeline — check the config's workflow filters.</Empty> : null}
      {(wfs.data?.items ?? []).map((w) => (
        <WorkflowBlock key={w.id} slug={slug} number={number} w={w} />
      ))}
    </section>
  );
}

function WorkflowBlock({ slug, number, w }: { slug: string; number: number; w: Workflow }) {
  const jobs = useApi<Page<WorkflowJob>>(v2(`/workflow/${w.id}/job`), { pollMs: 2000, poll: () => ['running', 'on_hold', 'failing'].includes(w.status) });
  return (
    <div class="wf">
      <h2>
        <a href={links.workflow(slug, number, w.id)}>{w.name}</a> <Status status={w.status} />
      </h2>
      {jobs.data ? (
        <div class="graph-wrap">
          <WorkflowGraph jobs={jobs.data.items} href={(j) => (j.job_number !== undefined ? links.job(slug, number, w.id, j.job_number) : undefined)} />
        </div>
      ) : null}
    </div>
  );
}
