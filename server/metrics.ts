/**
 * A minimal Prometheus registry: counters, gauges and histograms with labels, rendered in the text
 * exposition format 0.0.4 (https://prometheus.io/docs/instrumenting/exposition_formats/).
 *
 * Small on purpose: the API needs a dozen series, and recording one costs a label string and a map
 * lookup. Label values are escaped; label names are fixed in code.
 */

type Labels = Record<string, string>;

interface Series {
  labels: string;
}

abstract class Metric<S extends Series> {
  protected readonly series = new Map<string, S>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'gauge' | 'histogram',
  ) {}

  protected get(labels: Labels | undefined, create: (rendered: string) => S): S {
    const rendered = labels ? renderLabels(labels) : '';
    let found = this.series.get(rendered);
    if (!found) {
      found = create(rendered);
      this.series.set(rendered, found);
    }
    return found;
  }

  abstract lines(): string[];

  render(): string {
    return [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`, ...this.lines()].join(
      '\n',
    );
  }
}

/** `a="x",b="y"` with values escaped as the format requires (backslash, quote, newline). */
function renderLabels(labels: Labels): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`)
    .join(',');
}

function sample(name: string, labels: string, value: number): string {
  return `${name}${labels ? `{${labels}}` : ''} ${Number.isFinite(value) ? value : 'NaN'}`;
}

interface ValueSeries extends Series {
  value: number;
}

export class Counter extends Metric<ValueSeries> {
  constructor(name: string, help: string) {
    super(name, help, 'counter');
  }
  inc(labels?: Labels, by = 1): void {
    this.get(labels, (rendered) => ({ labels: rendered, value: 0 })).value += by;
  }
  /** The current value (tests, and gauges derived from counters). */
  value(labels?: Labels): number {
    return this.series.get(labels ? renderLabels(labels) : '')?.value ?? 0;
  }
  lines(): string[] {
    return [...this.series.values()].map((s) => sample(this.name, s.labels, s.value));
  }
}

/** A gauge read when scraped (`collect` returns one value per label set). */
export class Gauge extends Metric<ValueSeries> {
  constructor(
    name: string,
    help: string,
    private readonly collect: () => { labels?: Labels; value: number }[],
  ) {
    super(name, help, 'gauge');
  }
  lines(): string[] {
    return this.collect().map((s) => sample(this.name, s.labels ? renderLabels(s.labels) : '', s.value));
  }
}

interface HistogramSeries extends Series {
  counts: Float64Array;
  sum: number;
  count: number;
}

export class Histogram extends Metric<HistogramSeries> {
  constructor(
    name: string,
    help: string,
    /** Upper bounds, ascending; `+Inf` is implied. */
    private readonly buckets: readonly number[],
  ) {
    super(name, help, 'histogram');
  }
  observe(labels: Labels | undefined, value: number): void {
    const s = this.get(labels, (rendered) => ({
      labels: rendered,
      counts: new Float64Array(this.buckets.length),
      sum: 0,
      count: 0,
    }));
    // Non-cumulative per bucket here; cumulated when rendered.
    const i = this.buckets.findIndex((bound) => value <= bound);
    if (i >= 0) s.counts[i]! += 1;
    s.sum += value;
    s.count += 1;
  }
  lines(): string[] {
    const out: string[] = [];
    for (const s of this.series.values()) {
      const sep = s.labels ? ',' : '';
      let cumulative = 0;
      this.buckets.forEach((bound, i) => {
        cumulative += s.counts[i]!;
        out.push(`${this.name}_bucket{${s.labels}${sep}le="${bound}"} ${cumulative}`);
      });
      out.push(`${this.name}_bucket{${s.labels}${sep}le="+Inf"} ${s.count}`);
      out.push(sample(`${this.name}_sum`, s.labels, s.sum));
      out.push(sample(`${this.name}_count`, s.labels, s.count));
    }
    return out;
  }
}

export class Registry {
  private readonly metrics: Metric<Series>[] = [];
  register<M extends Metric<Series>>(metric: M): M {
    this.metrics.push(metric);
    return metric;
  }
  /** The whole registry in the text format (`text/plain; version=0.0.4`). */
  render(): string {
    return `${this.metrics.map((m) => m.render()).join('\n')}\n`;
  }
}

/** The content type of `Registry.render()`. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
