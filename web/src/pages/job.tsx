// The job page: steps in order with status, duration and exit code, each step's output live
// from the stream; tabs for tests and artifacts; one tab per parallel run; cancel and rerun.
import { useState } from 'preact/hooks';
import { ActionButton, Crumbs, Empty, ErrorNote, Loading, Status, Tabs } from '../components/ui.tsx';
import { LogView } from '../components/log-view.tsx';
import { api, v2 } from '../lib/api.ts';
import { duration } from '../lib/format.ts';
import { useJobStream, type StreamStep } from '../lib/job-stream.ts';
import { navigate } from '../lib/navigate.ts';
import { links } from '../lib/router.ts';
import { isFailure, orderTests, type TestResult } from '../lib/tests.ts';
import { useApi, type Page } from '../lib/use-api.ts';
import type { WorkflowJob } from '../components/graph.tsx';

interface JobDetails {
  name: string;
  status: string;
  number: number;
  parallelism: number;
  duration: number | null;
  started_at: string | null;
  parallel_runs: { index: number; status: string }[];
  executor: { type: string; resource_class: string };
}
interface V1Step {
  name: string;
  actions: { index: number; step: number; status: string; exit_code: number | null; run_time_millis: number | null }[];
}
const TERMINAL = ['success', 'failed', 'canceled', 'not_run', 'infrastructure_fail', 'timedout', 'unauthorized', 'terminated-unknown', 'blocked'];

export function JobPage({ slug, number, workflowId, jobNumber }: { slug: string; number: number; workflowId: string; jobNumber: number }) {
  const running = (d: { status: string }) => !TERMINAL.includes(d.status);
  const job = useApi<JobDetails>(v2(`/project/${slug}/job/${jobNumber}`), { pollMs: 1500, poll: running });
  const v1 = useApi<{ steps: V1Step[]; lifecycle: string }>(`/api/v1.1/project/${slug}/${jobNumber}`, { pollMs: 1500, poll: (d) => d.lifecycle !== 'finished' });
  const wfJobs = useApi<Page<WorkflowJob>>(v2(`/workflow/${workflowId}/job`));
  const jobId = wfJobs.data?.items.find((j) => j.job_number === jobNumber)?.id;
  const stream = useJobStream(jobId);
  const [tab, setTab] = useState<'steps' | 'tests' | 'artifacts'>('steps');
  const [node, setNode] = useState(0);
  const d = job.data;
  if (!d) return job.error ? <ErrorNote error={job.error} /> : <Loading what="job" />;
  const nodes = d.parallel_runs.length > 1 ? d.parallel_runs : [];
  return (
    <section>
      <Crumbs items={[[slug, links.pipelines(slug)], [`Pipeline ${number}`, links.pipeline(slug, number)], ['Workflow', links.workflow(slug, number, workflowId)], [`${d.name} #${d.number}`, undefined]]} />
      <header class="page-head">
        <h1>
          {d.name} <Status status={d.status} />
        </h1>
        <span class="meta">
          {d.executor.type} · {d.executor.resource_class} · {duration(d.duration)}
        </span>
        <span class="actions">
          {running(d) ? <ActionButton label="Cancel job" run={() => api.post(v2(`/project/${slug}/job/${jobNumber}/cancel`)).then(job.reload)} /> : null}
          {!running(d) && jobId ? (
            <ActionButton
              label="Rerun job"
              run={async () => {
                const r = await api.post<{ workflow_id: string }>(v2(`/workflow/${workflowId}/rerun`), { jobs: [jobId] });
                navigate(links.workflow(slug, number, r.workflow_id));
              }}
            />
          ) : null}
        </span>
      </header>
      <Tabs label="Job" active={tab} onChange={setTab} tabs={[['steps', 'Steps'], ['tests', 'Tests'], ['artifacts', 'Artifacts']]} />
      {nodes.length > 0 && tab === 'steps' ? (
        <Tabs label="Parallel runs" active={String(node)} onChange={(k) => setNode(Number(k))} tabs={nodes.map((n) => [String(n.index), `Node ${n.index}`])} />
      ) : null}
      {tab === 'steps' ? <Steps steps={stream.steps.filter((s) => s.node === node)} v1={v1.data?.steps ?? []} node={node} version={stream.version} /> : null}
      {tab === 'tests' ? <TestsTab slug={slug} jobNumber={jobNumber} /> : null}
      {tab === 'artifacts' ? <ArtifactsTab slug={slug} jobNumber={jobNumber} /> : null}
    </section>
  );
}

function Steps({ steps, v1, node, version }: { steps: StreamStep[]; v1: V1Step[]; node: number; version: number }) {
  const [closed, setClosed] = useState<Record<number, boolean>>({});
  if (steps.length === 0) return <Empty>No steps have started yet — the job is waiting for an agent.</Empty>;
  return (
    <ol class="steps">
      {steps.map((s) => {
        const action = v1[s.step]?.actions.find((a) => a.index === node);
        const exit = action?.exit_code ?? s.exit_code;
        const status = action?.status ?? s.status;
        const open = closed[s.step] === undefined ? true : !closed[s.step];
        return (
          <li key={s.step} class={`step st-${status}`}>
            <button type="button" class="step-head" aria-expanded={open} onClick={() => setClosed({ ...closed, [s.step]: open })}>
              <span class="caret">{open ? '▾' : '▸'}</span>
              <span class="name">{s.name}</span>
              <Status status={status} />
              <span class="dur">{duration(action?.run_time_millis)}</span>
              {exit !== undefined && exit !== null ? <span class="exit">exit {exit}</span> : null}
            </button>
            {open ? s.log.count > 0 ? <LogView log={s.log} version={version} /> : <p class="no-output">No output.</p> : null}
          </li>
        );
      })}
    </ol>
  );
}

function TestsTab({ slug, jobNumber }: { slug: string; jobNumber: number }) {
  const r = useApi<Page<TestResult>>(v2(`/project/${slug}/${jobNumber}/tests`));
  if (!r.data) return r.error ? <ErrorNote error={r.error} /> : <Loading what="tests" />;
  if (r.data.items.length === 0) return <Empty>No test results — upload JUnit XML with the store_test_results step.</Empty>;
  const tests = orderTests(r.data.items);
  const failed = tests.filter((t) => isFailure(t.result)).length;
  return (
    <div>
      <p>
        {tests.length} tests, {failed} failed
      </p>
      <table class="list tests">
        <thead>
          <tr><th>Result</th><th>Test</th><th>File</th><th>Time</th></tr>
        </thead>
        <tbody>
          {tests.map((t, i) => (
            <tr key={i} class={isFailure(t.result) ? 'failed' : ''}>
              <td><Status status={t.result} /></td>
              <td>
                <div class="test-name">{t.classname} › {t.name}</div>
                {t.message ? <pre class="test-message">{t.message}</pre> : null}
              </td>
              <td>{t.file ?? ''}</td>
              <td>{duration(t.run_time * 1000)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function ArtifactsTab({ slug, jobNumber }: { slug: string; jobNumber: number }) {
  const r = useApi<Page<{ path: string; node_index: number; url: string }>>(v2(`/project/${slug}/${jobNumber}/artifacts`));
  if (!r.data) return r.error ? <ErrorNote error={r.error} /> : <Loading what="artifacts" />;
  if (r.data.items.length === 0) return <Empty>No artifacts — save files with the store_artifacts step.</Empty>;
  return (
    <ul class="artifacts">
      {r.data.items.map((a) => (
        <li key={`${a.node_index}:${a.path}`}>
          <a href={new URL(a.url, location.href).pathname} download={a.path.split('/').pop()}>
            {a.path}
          </a>
          {r.data!.items.some((x) => x.node_index !== 0) ? <span class="meta"> node {a.node_index}</span> : null}
        </li>
      ))}
    </ul>
  );
}
