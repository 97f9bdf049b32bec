import type { Logger } from "pino";
import type { TDeploymentMetrics } from "../schemas/deployment";
import type { TRuntimeDriver } from "./driver";

// Metrics for the dashboard with no Prometheus installed: every few seconds the API reads each ready
// replica's /metrics (with the replica's token) and keeps a rolling hour of points per deployment.

type TScrape = {
  requests: number;
  errors: number;
  predictions: number;
  /** Cumulative latency bucket counts by upper bound (ms), summed over protocols. */
  buckets: Map<number, number>;
  inFlight: number;
  batchSum: number;
  batchCount: number;
};

type TPoint = {
  at: number;
  seconds: number;
  requests: number;
  errors: number;
  predictions: number;
  buckets: Map<number, number>;
  inFlight: number;
  batchSum: number;
  batchCount: number;
  /** Replicas that answered this scrape. */
  replicas: number;
};

export type TReplicaExposition = { deploymentId: string; replicaId: string; text: string };

export type TReplicaMetrics = {
  /** Reads every ready replica once now (the loop calls it every interval). */
  scrapeOnce(): Promise<void>;
  query(deploymentId: string, window: "5m" | "15m" | "1h"): TDeploymentMetrics;
  forget(deploymentId: string): void;
  /** The last scrape text of every replica that answered, for the metrics port to re-export. */
  exposition(): TReplicaExposition[];
  start(): void;
  stop(): void;
};

const windowMs = { "5m": 300_000, "15m": 900_000, "1h": 3_600_000 } as const;
const keepMs = 3_600_000;

function labelValue(labels: string, name: string): string | undefined {
  return new RegExp(`${name}="([^"]*)"`).exec(labels)?.[1];
}

/**
 * Ray exports the entry module's ray.util.metrics with `ray_` in front (and `_total` on counters), so
 * `ray_kubeserve_<name>` is the runtime's own `<name>` (runtimes/sklearn/kubeserve_sklearn/ray_metrics.py).
 */
export const RAY_METRIC_PREFIX = "ray_kubeserve_";

/**
 * The few series the dashboard draws, from the Prometheus text format. With `deploymentId`, only series
 * labelled with it count (Ray's metrics endpoint holds every application on the node).
 */
export function parseScrape(text: string, deploymentId?: string): TScrape {
  const scrape: TScrape = {
    requests: 0,
    errors: 0,
    predictions: 0,
    buckets: new Map(),
    inFlight: 0,
    batchSum: 0,
    batchCount: 0,
  };
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!match?.[1] || match[3] === undefined) continue;
    const [, exported, labels = "", raw] = match;
    if (deploymentId !== undefined && labelValue(labels, "deployment") !== deploymentId) continue;
    const name = exported.startsWith(RAY_METRIC_PREFIX)
      ? exported.slice(RAY_METRIC_PREFIX.length)
      : exported;
    const value = Number(raw);
    if (!Number.isFinite(value) && raw !== "+Inf") continue;
    if (name === "requests_total") {
      const code = Number(labelValue(labels, "code"));
      // The replica-token refusals are the gateway's own probes or strangers, not the model's traffic.
      if (code === 401) continue;
      // Health probes and our own /metrics scrapes are not requests: an idle deployment reads 0.
      const protocol = labelValue(labels, "protocol");
      if (protocol === "probe" || protocol === "other") continue;
      scrape.requests += value;
      if (code >= 500) scrape.errors += value;
    } else if (name === "predictions_total") scrape.predictions += value;
    else if (name === "prediction_latency_ms_bucket") {
      const le = labelValue(labels, "le");
      const bound = le === "+Inf" ? Infinity : Number(le);
      scrape.buckets.set(bound, (scrape.buckets.get(bound) ?? 0) + value);
    } else if (name === "requests_in_flight") scrape.inFlight += value;
    else if (name === "batch_size_sum") scrape.batchSum += value;
    else if (name === "batch_size_count") scrape.batchCount += value;
  }
  return scrape;
}

/** After a restart counters start again from zero: the new value is then the whole increase. */
function delta(now: number, before: number | undefined): number {
  if (before === undefined) return 0;
  return now >= before ? now - before : now;
}

/** Prometheus' histogram_quantile: linear interpolation inside the bucket holding the rank. */
export function quantile(q: number, buckets: Map<number, number>): number | null {
  const bounds = [...buckets.keys()].sort((a, b) => a - b);
  const total = buckets.get(Infinity) ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const bound of bounds) {
    const count = buckets.get(bound) ?? 0;
    if (count >= rank) {
      if (bound === Infinity) return lowerBound;
      const inBucket = count - lowerCount;
      return inBucket > 0
        ? lowerBound + ((bound - lowerBound) * (rank - lowerCount)) / inBucket
        : bound;
    }
    lowerBound = bound;
    lowerCount = count;
  }
  return lowerBound;
}

export function createReplicaMetrics(options: {
  runtime: TRuntimeDriver;
  log: Logger;
  intervalMs: number;
}): TReplicaMetrics {
  const { runtime, log, intervalMs } = options;
  const deployments = new Set<string>();
  const last = new Map<string, TScrape>();
  const series = new Map<string, TPoint[]>();
  const texts = new Map<string, TReplicaExposition[]>();
  let lastTick = Date.now();
  let timer: NodeJS.Timeout | undefined;
  runtime.watch((status) => {
    if (status.phase === "absent") {
      deployments.delete(status.deploymentId);
      texts.delete(status.deploymentId);
    } else deployments.add(status.deploymentId);
  });

  async function scrapeDeployment(id: string, seconds: number, at: number): Promise<void> {
    const point: TPoint = {
      at,
      seconds,
      requests: 0,
      errors: 0,
      predictions: 0,
      buckets: new Map(),
      inFlight: 0,
      batchSum: 0,
      batchCount: 0,
      replicas: 0,
    };
    const answered: TReplicaExposition[] = [];
    await Promise.all(
      runtime.endpoints(id).map(async (endpoint) => {
        const response = await fetch(`${endpoint.origin}/metrics`, {
          headers: { authorization: `Bearer ${endpoint.token}` },
          signal: AbortSignal.timeout(2000),
        }).catch(() => undefined);
        if (!response?.ok) return;
        const text = await response.text();
        answered.push({ deploymentId: id, replicaId: endpoint.replicaId, text });
        const scrape = parseScrape(text);
        point.replicas += 1;
        const key = `${endpoint.replicaId}@${endpoint.origin}`;
        const before = last.get(key);
        last.set(key, scrape);
        point.requests += delta(scrape.requests, before?.requests);
        point.errors += delta(scrape.errors, before?.errors);
        point.predictions += delta(scrape.predictions, before?.predictions);
        point.batchSum += delta(scrape.batchSum, before?.batchSum);
        point.batchCount += delta(scrape.batchCount, before?.batchCount);
        point.inFlight += scrape.inFlight;
        for (const [bound, count] of scrape.buckets) {
          const increase = delta(count, before?.buckets.get(bound));
          point.buckets.set(bound, (point.buckets.get(bound) ?? 0) + increase);
        }
      }),
    );
    texts.set(id, answered);
    const points = series.get(id) ?? [];
    points.push(point);
    while (points.length > 0 && (points[0]?.at ?? at) < at - keepMs) points.shift();
    series.set(id, points);
  }

  return {
    async scrapeOnce() {
      const at = Date.now();
      const seconds = Math.max(0.001, (at - lastTick) / 1000);
      lastTick = at;
      await Promise.all([...deployments].map((id) => scrapeDeployment(id, seconds, at)));
    },
    query(deploymentId, window) {
      const from = Date.now() - windowMs[window];
      const points = (series.get(deploymentId) ?? []).filter((p) => p.at >= from);
      return {
        window,
        intervalSeconds: intervalMs / 1000,
        points: points.map((p) => ({
          at: new Date(p.at).toISOString(),
          requestsPerSecond: p.requests / p.seconds,
          errorsPerSecond: p.errors / p.seconds,
          predictionsPerSecond: p.predictions / p.seconds,
          p50Ms: quantile(0.5, p.buckets),
          p95Ms: quantile(0.95, p.buckets),
          p99Ms: quantile(0.99, p.buckets),
          inFlight: p.inFlight,
          averageBatchSize: p.batchCount > 0 ? p.batchSum / p.batchCount : null,
          replicas: p.replicas,
        })),
      };
    },
    exposition() {
      return [...texts.values()].flat();
    },
    forget(deploymentId) {
      series.delete(deploymentId);
      texts.delete(deploymentId);
      deployments.delete(deploymentId);
    },
    start() {
      if (timer) return;
      timer = setInterval(() => {
        this.scrapeOnce().catch((error: unknown) =>
          log.warn({ err: error }, "scraping replicas failed"),
        );
      }, intervalMs);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}
