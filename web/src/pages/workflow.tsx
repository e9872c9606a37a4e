// The workflow page: its job graph, approve a hold, cancel, rerun (all or from failed).
import { WorkflowGraph, type WorkflowJob } from '../components/graph.tsx';
import { ActionButton, Crumbs, ErrorNote, Loading, Status } from '../components/ui.tsx';
import { api, v2 } from '../lib/api.ts';
import { duration, span } from '../lib/format.ts';
import { navigate } from '../lib/navigate.ts';
import { links } from '../lib/router.ts';
import { useApi, type Page } from '../lib/use-api.ts';

export interface Workflow {
  id: string;
  name: string;
  status: string;
  created_at: string;
  stopped_at: string | null;
  pipeline_number: number;
}
const ACTIVE = ['running', 'on_hold', 'failing', 'not_run'];

export function WorkflowPage({ slug, number, workflowId }: { slug: string; number: number; workflowId: string }) {
  const wf = useApi<Workflow>(v2(`/workflow/${workflowId}`), { pollMs: 1500, poll: (w) => ACTIVE.includes(w.status) });
  const jobs = useApi<Page<WorkflowJob>>(v2(`/workflow/${workflowId}/job`), { pollMs: 1500, poll: (p) => p.items.some((j) => !isDone(j.status)) });
  const w = wf.data;
  if (!w) return wf.error ? <ErrorNote error={wf.error} /> : <Loading what="workflow" />;
  const reload = () => {
    wf.reload();
    jobs.reload();
  };
  const holds = (jobs.data?.items ?? []).filter((j) => j.type === 'approval' && j.status === 'on_hold' && j.approval_request_id);
  const rerun = (fromFailed: boolean) => async () => {
    const r = await api.post<{ workflow_id: string }>(v2(`/workflow/${workflowId}/rerun`), fromFailed ? { from_failed: true } : {});
    navigate(links.workflow(slug, number, r.workflow_id));
  };
  return (
    <section>
      <Crumbs items={[[slug, links.pipelines(slug)], [`Pipeline ${number}`, links.pipeline(slug, number)], [w.name, undefined]]} />
      <header class="page-head">
        <h1>
          {w.name} <Status status={w.status} />
        </h1>
        <span class="meta">{duration(span(w.created_at, w.stopped_at))}</span>
        <span class="actions">
          {holds.map((h) => (
            <ActionButton key={h.id} kind="primary" label={`Approve ${h.name}`} run={() => api.post(v2(`/workflow/${workflowId}/approve/${h.approval_request_id}`)).then(reload)} />
          ))}
          {ACTIVE.includes(w.status) ? <ActionButton label="Cancel workflow" run={() => api.post(v2(`/workflow/${workflowId}/cancel`)).then(reload)} /> : null}
          {!ACTIVE.includes(w.status) ? <ActionButton label="Rerun workflow from start" run={rerun(false)} /> : null}
          {['failed', 'canceled', 'error'].includes(w.status) ? <ActionButton label="Rerun from failed" run={rerun(true)} /> : null}
        </span>
      </header>
      <ErrorNote error={jobs.error} />
      {jobs.data ? (
        <div class="graph-wrap">
          <WorkflowGraph jobs={jobs.data.items} href={(j) => (j.job_number !== undefined ? links.job(slug, number, workflowId, j.job_number) : undefined)} />
        </div>
      ) : (
        <Loading what="jobs" />
      )}
    </section>
  );
}

function isDone(status: string): boolean {
  return !['running', 'queued', 'not_running', 'blocked', 'on_hold'].includes(status);
}
