// The request-latency histogram is exported exactly as prom-client's own Histogram would export
// the same observations: text format, OpenMetrics, JSON, and after a reset.
import client from 'prom-client';
import { describe, expect, it } from 'vitest';
import { HttpLatencyHistogram } from '../../src/http/metrics/services/http-latency.ts';

const NAME = 'circlet_http_request_duration_seconds';
const HELP = 'HTTP request latency by method, route template and status code.';
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

function pair() {
  const reference = new client.Registry();
  const ours = new client.Registry();
  const h1 = new client.Histogram({ name: NAME, help: HELP, labelNames: ['method', 'route', 'status_code'], buckets: BUCKETS, registers: [reference] });
  const h2 = new HttpLatencyHistogram(NAME, HELP, BUCKETS);
  ours.registerMetric(h2 as unknown as client.Metric);
  const observe = (method: string, route: string, status: number, seconds: number) => {
    h1.observe({ method, route, status_code: String(status) }, seconds);
    h2.observe(method, route, status, seconds);
  };
  return { reference, ours, observe };
}

describe('HttpLatencyHistogram', () => {
  it('exports what prom-client exports for the same observations', async () => {
    const { reference, ours, observe } = pair();
    const routes = ['/api/v2/me', 'unmatched', '/api/v2/project/:provider/:organization/:project', 'a "quoted\\ route\nwith a newline'];
    // Bounds themselves, just above them, zero, beyond the last bound, and in between.
    const values = [0, 0.005, 0.0051, 1, 30, 31, 0.3, 2.4999, 7];
    for (let i = 0; i < 500; i++) observe(['GET', 'POST', 'HEAD'][i % 3]!, routes[(i * 7) % routes.length]!, [200, 404, 201, 500][(i * 13) % 4]!, values[i % values.length]!);
    const text = await ours.metrics();
    expect(text).toBe(await reference.metrics());
    expect(text).toContain(`${NAME}_count{method="GET",route="/api/v2/me",status_code="200"}`);
    expect(await ours.getMetricsAsJSON()).toEqual(await reference.getMetricsAsJSON());
    expect(JSON.stringify(await ours.getMetricsAsJSON())).toBe(JSON.stringify(await reference.getMetricsAsJSON()));
    reference.setContentType(client.openMetricsContentType as typeof client.prometheusContentType);
    ours.setContentType(client.openMetricsContentType as typeof client.prometheusContentType);
    expect(await ours.metrics()).toBe(await reference.metrics());
  });

  it('forgets every series on reset', async () => {
    const { reference, ours, observe } = pair();
    observe('GET', '/x', 200, 0.2);
    reference.resetMetrics();
    ours.resetMetrics();
    expect(await ours.metrics()).toBe(await reference.metrics());
    expect(await ours.metrics()).not.toContain('route="/x"');
    observe('GET', '/x', 200, 0.01);
    expect(await ours.metrics()).toBe(await reference.metrics());
  });
});
