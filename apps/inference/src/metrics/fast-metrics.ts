/**
 * Counters and histograms for the request hot path. prom-client hashes the label object on
 * every observation; these keep one plain child per label set, created once and then updated
 * with a few arithmetic operations, and render through prom-client's Registry at scrape time
 * (registered there once prom-client is loaded, after start-up: see metrics.ts).
 */

type TLabels = Record<string, string>;

type TMetricValue = { value: number; labels: TLabels; metricName?: string };

/** How prom-client's AggregatorRegistry combines the workers' values in cluster mode. */
export type TAggregator = "sum" | "max" | "min";

export type TCustomMetric = {
  name: string;
  help: string;
  type: "counter" | "histogram" | "gauge";
  aggregator: TAggregator;
  get: () => {
    name: string;
    help: string;
    type: string;
    values: TMetricValue[];
    aggregator: TAggregator;
  };
};

export class CounterChild {
  value = 0;
  constructor(readonly labels: TLabels) {}
  inc(by = 1): void {
    this.value += by;
  }
}

export class HistogramChild {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(
    readonly labels: TLabels,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length);
  }
  observe(value: number): void {
    const bounds = this.bounds;
    for (let i = 0; i < bounds.length; i++) {
      if (value <= bounds[i]!) {
        this.counts[i]! += 1;
        break;
      }
    }
    this.sum += value;
    this.count += 1;
  }
}

abstract class FastMetric<TChild extends { labels: TLabels }> implements TCustomMetric {
  protected readonly children = new Map<string, TChild>();
  abstract readonly type: "counter" | "histogram" | "gauge";
  constructor(
    readonly name: string,
    readonly help: string,
    readonly aggregator: TAggregator = "sum",
  ) {}
  protected abstract create(labels: TLabels): TChild;
  protected abstract render(child: TChild): TMetricValue[];

  /** Returns the child for these labels; keep it and call it directly on hot paths. */
  child(labels: TLabels = {}): TChild {
    const key = JSON.stringify(labels);
    let child = this.children.get(key);
    if (!child) {
      child = this.create(labels);
      this.children.set(key, child);
    }
    return child;
  }

  get() {
    const values = [...this.children.values()].flatMap((child) => this.render(child));
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      values,
      aggregator: this.aggregator,
    };
  }
}

/** Counters and gauges keep one value per label set; only their Prometheus type differs. */
abstract class FastValueMetric extends FastMetric<CounterChild> {
  protected create(labels: TLabels): CounterChild {
    return new CounterChild(labels);
  }
  protected render(child: CounterChild): TMetricValue[] {
    return [{ value: child.value, labels: child.labels }];
  }
}

export class FastCounter extends FastValueMetric {
  readonly type = "counter" as const;
}

export class FastGauge extends FastValueMetric {
  readonly type = "gauge" as const;
}

export class FastHistogram extends FastMetric<HistogramChild> {
  readonly type = "histogram" as const;
  constructor(
    name: string,
    help: string,
    private readonly bounds: readonly number[],
  ) {
    super(name, help, "sum");
  }
  protected create(labels: TLabels): HistogramChild {
    return new HistogramChild(labels, this.bounds);
  }
  protected render(child: HistogramChild): TMetricValue[] {
    const out: TMetricValue[] = [];
    let cumulative = 0;
    this.bounds.forEach((bound, i) => {
      cumulative += child.counts[i]!;
      out.push({
        value: cumulative,
        labels: { ...child.labels, le: String(bound) },
        metricName: `${this.name}_bucket`,
      });
    });
    out.push({
      value: child.count,
      labels: { ...child.labels, le: "+Inf" },
      metricName: `${this.name}_bucket`,
    });
    out.push({ value: child.sum, labels: child.labels, metricName: `${this.name}_sum` });
    out.push({ value: child.count, labels: child.labels, metricName: `${this.name}_count` });
    return out;
  }
}
