// circlet_http_request_duration_seconds: the histogram every request is timed into. prom-client's
// Histogram builds a labels object, a closure and a hash string for each observation; here a
// request finds its series with three Map lookups (route, method, status) and allocates nothing
// once the series exists. The series are exported in the structure prom-client's registry
// formats for its own histograms (`getForPromString`), so the exposition text is the same.

interface Series {
  labels: { method: string; route: string; status_code: string };
  /** Observations per bucket (not cumulative), one more than the bounds for +Inf. */
  counts: number[];
  sum: number;
  count: number;
}

interface ExportedValue {
  labels: Record<string, string | number>;
  sharedLabels: Record<string, string>;
  value: number;
  metricName: string;
  exemplar: null | undefined;
}

export class HttpLatencyHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  /** route → method → status code → series. */
  private index = new Map<string, Map<string, Map<number, Series>>>();
  /** In the order they were first observed, as prom-client exports them. */
  private series: Series[] = [];

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly bounds: readonly number[],
  ) {}

  observe(method: string, route: string, statusCode: number, seconds: number): void {
    let byMethod = this.index.get(route);
    if (!byMethod) this.index.set(route, (byMethod = new Map()));
    let byStatus = byMethod.get(method);
    if (!byStatus) byMethod.set(method, (byStatus = new Map()));
    let s = byStatus.get(statusCode);
    if (!s) {
      s = { labels: { method, route, status_code: String(statusCode) }, counts: new Array<number>(this.bounds.length + 1).fill(0), sum: 0, count: 0 };
      byStatus.set(statusCode, s);
      this.series.push(s);
    }
    let i = 0;
    while (i < this.bounds.length && seconds > this.bounds[i]!) i++;
    s.counts[i]!++;
    s.sum += seconds;
    s.count++;
  }

  /** The registry's input for the text format: bucket label `le`, the series' labels shared. */
  getForPromString(): { name: string; help: string; type: string; values: ExportedValue[]; aggregator: string } {
    const values: ExportedValue[] = [];
    const bucket = `${this.name}_bucket`;
    for (const s of this.series) {
      let acc = 0;
      this.bounds.forEach((le, i) => {
        acc += s.counts[i]!;
        values.push({ labels: { le }, sharedLabels: s.labels, value: acc, metricName: bucket, exemplar: null });
      });
      values.push({ labels: { le: '+Inf' }, sharedLabels: s.labels, value: s.count, metricName: bucket, exemplar: null });
      values.push({ labels: {}, sharedLabels: s.labels, value: s.sum, metricName: `${this.name}_sum`, exemplar: undefined });
      values.push({ labels: {}, sharedLabels: s.labels, value: s.count, metricName: `${this.name}_count`, exemplar: undefined });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  /** The JSON form (`registry.getMetricsAsJSON()`): each value's labels with the series' labels merged in. */
  get() {
    const { name, help, type, values, aggregator } = this.getForPromString();
    return { name, help, type, values: values.map(({ labels, sharedLabels, ...rest }) => ({ ...rest, labels: { ...labels, ...sharedLabels } })), aggregator };
  }

  reset(): void {
    this.index = new Map();
    this.series = [];
  }
}
