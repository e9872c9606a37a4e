// Insights for a project: per workflow success rate, duration p50/p95, throughput over the
// API's reporting windows; for one workflow the charts over time (every run of the window, all
// pages), its slowest jobs and the project's flaky tests.
import { useState } from 'preact/hooks';
import { Chart } from '../components/chart.tsx';
import { Crumbs, Empty, ErrorNote, Loading } from '../components/ui.tsx';
import { v2 } from '../lib/api.ts';
import { duration } from '../lib/format.ts';
import { byDay, windowRange, type Run } from '../lib/insights.ts';
import { links } from '../lib/router.ts';
import { useAllPages, useApi, type Page } from '../lib/use-api.ts';

const WINDOWS = ['last-24-hours', 'last-7-days', 'last-30-days', 'last-60-days', 'last-90-days'];
interface Metrics {
  total_runs: number;
  success_rate: number;
  throughput: number;
  duration_metrics: { median: number; p95: number };
}
const pct = (r: number) => `${Math.round(r * 100)}%`;

export function InsightsPage({ slug }: { slug: string }) {
  const [windowName, setWindow] = useState('last-90-days');
  const wfs = useApi<Page<{ name: string; metrics: Metrics }>>(v2(`/insights/${slug}/workflows?reporting-window=${windowName}`));
  const [picked, setPicked] = useState<string>();
  const names = wfs.data?.items.map((w) => w.name) ?? [];
  const current = picked && names.includes(picked) ? picked : names[0];
  return (
    <section>
      <Crumbs items={[[slug, links.pipelines(slug)], ['Insights', undefined]]} />
      <header class="page-head">
        <h1>Insights</h1>
        <label>
          Window{' '}
          <select value={windowName} onChange={(e) => setWindow(e.currentTarget.value)}>
            {WINDOWS.map((w) => (
              <option key={w} value={w}>{w.replace(/-/g, ' ')}</option>
            ))}
          </select>
        </label>
      </header>
      <ErrorNote error={wfs.error} />
      {!wfs.data ? (
        wfs.error ? null : <Loading what="insights" />
      ) : wfs.data.items.length === 0 ? (
        <Empty>No workflow runs in this window — run a pipeline, or pick a longer window.</Empty>
      ) : (
        <table class="list">
          <thead>
            <tr><th>Workflow</th><th>Runs</th><th>Success rate</th><th>p50</th><th>p95</th><th>Throughput / day</th></tr>
          </thead>
          <tbody>
            {wfs.data.items.map((w) => (
              <tr key={w.name} class={w.name === current ? 'selected' : ''}>
                <td><button type="button" class="link" onClick={() => setPicked(w.name)}>{w.name}</button></td>
                <td>{w.metrics.total_runs}</td>
                <td>{pct(w.metrics.success_rate)}</td>
                <td>{duration(w.metrics.duration_metrics.median * 1000)}</td>
                <td>{duration(w.metrics.duration_metrics.p95 * 1000)}</td>
                <td>{w.metrics.throughput.toFixed(2)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {current ? <WorkflowInsights slug={slug} name={current} windowName={windowName} /> : null}
      <FlakyTests slug={slug} />
    </section>
  );
}

function WorkflowInsights({ slug, name, windowName }: { slug: string; name: string; windowName: string }) {
  // Every run of the window (all pages, all branches), so the charts cover the whole window.
  const [now] = useState(() => Date.now());
  const range = windowRange(windowName, now);
  const runs = useAllPages<Run>(v2(`/insights/${slug}/workflows/${encodeURIComponent(name)}?all-branches=true&start-date=${range.start}&end-date=${range.end}`));
  const jobs = useApi<Page<{ name: string; metrics: Metrics }>>(v2(`/insights/${slug}/workflows/${encodeURIComponent(name)}/jobs?reporting-window=${windowName}`));
  const days = byDay(runs.data ?? []);
  const slowest = [...(jobs.data?.items ?? [])].sort((a, b) => b.metrics.duration_metrics.p95 - a.metrics.duration_metrics.p95).slice(0, 5);
  return (
    <div class="card">
      <h2>{name}</h2>
      {days.length ? (
        <div class="charts">
          <Chart title="Duration (s)" x={days.map((d) => d.t)} series={[{ label: 'p50', values: days.map((d) => d.p50), color: '#2f81f7' }, { label: 'p95', values: days.map((d) => d.p95), color: '#d29922' }]} />
          <Chart
            title="Success rate and runs"
            x={days.map((d) => d.t)}
            series={[{ label: 'success %', values: days.map((d) => d.successRate * 100), color: '#2da44e' }, { label: 'runs', values: days.map((d) => d.runs), color: '#8250df', scale: 'runs' }]}
          />
        </div>
      ) : runs.data ? (
        <Empty>No finished runs of {name} in this window yet.</Empty>
      ) : null}
      {runs.truncated ? <p class="meta">The charts show the latest runs only; pick a shorter window to see all of them.</p> : null}
      <h3>Slowest jobs</h3>
      {slowest.length === 0 ? <Empty>No job runs yet.</Empty> : null}
      <ol>
        {slowest.map((j) => (
          <li key={j.name}>
            {j.name}: p95 {duration(j.metrics.duration_metrics.p95 * 1000)}, {pct(j.metrics.success_rate)} success
          </li>
        ))}
      </ol>
    </div>
  );
}

function FlakyTests({ slug }: { slug: string }) {
  const r = useApi<{ flaky_tests: { test_name: string; classname: string; times_flaked: number; file: string }[] }>(v2(`/insights/${slug}/flaky-tests`));
  return (
    <div class="card">
      <h2>Flaky tests</h2>
      {r.data && r.data.flaky_tests.length === 0 ? <Empty>No flaky tests — a test that both passed and failed on the same commit shows up here.</Empty> : null}
      <ul>
        {(r.data?.flaky_tests ?? []).map((t, i) => (
          <li key={i}>
            {t.classname} › {t.test_name} — flaked {t.times_flaked}×{t.file ? ` (${t.file})` : ''}
          </li>
        ))}
      </ul>
    </div>
  );
}
