import type { Logger } from "pino";
import type { TDeploymentMetrics } from "../schemas/deployment";
import type { TRuntimeDriver } from "./driver";

// Metrics for the dashboard with no Prometheus installed: every few seconds the API reads each ready
// replica's /metrics (with the replica's token) and keeps a rolling hour of points per deployment.

export type TScrape = {
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
  const scrape = emptyScrape();
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

function emptyScrape(): TScrape {
  return {
    requests: 0,
    errors: 0,
    predictions: 0,
    buckets: new Map(),
    inFlight: 0,
    batchSum: 0,
    batchCount: 0,
  };
}

/** A restarted process counts again from zero: any counter below its last value means all of them reset. */
function hasReset(now: TScrape, before: TScrape): boolean {
  if (
    now.requests < before.requests ||
    now.errors < before.errors ||
    now.predictions < before.predictions ||
    now.batchSum < before.batchSum ||
    now.batchCount < before.batchCount
  ) {
    return true;
  }
  for (const [bound, count] of before.buckets) {
    if ((now.buckets.get(bound) ?? 0) < count) return true;
  }
  return false;
}

/**
 * What one replica's counters grew by since `before`, like Prometheus' rate(): a reset (any counter lower) or a
 * replica that is new since the last scrape counts from zero, so its whole value is the increase; a replica seen
 * for the first time without being new (running before the API started) only sets the baseline. Never negative.
 */
export function increaseSince(
  now: TScrape,
  before: TScrape | undefined,
  isNewReplica: boolean,
): TScrape {
  if (before === undefined && !isNewReplica) return { ...emptyScrape(), inFlight: now.inFlight };
  const base = before === undefined || hasReset(now, before) ? emptyScrape() : before;
  const buckets = new Map<number, number>();
  for (const [bound, count] of now.buckets)
    buckets.set(bound, count - (base.buckets.get(bound) ?? 0));
  return {
    requests: now.requests - base.requests,
    errors: now.errors - base.errors,
    predictions: now.predictions - base.predictions,
    buckets,
    inFlight: now.inFlight,
    batchSum: now.batchSum - base.batchSum,
    batchCount: now.batchCount - base.batchCount,
  };
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
  runtime: Pick<TRuntimeDriver, "watch" | "endpoints">;
  log: Logger;
  intervalMs: number;
}): TReplicaMetrics {
  const { runtime, log, intervalMs } = options;
  const deployments = new Set<string>();
  /** Per deployment, each replica's last answer (by replica id and origin: a restart on a new port is new). */
  const last = new Map<string, Map<string, { scrape: TScrape; at: number }>>();
  /** When each deployment was last scraped: a replica not seen then is new since. */
  const scrapedAt = new Map<string, number>();
  const series = new Map<string, TPoint[]>();
  const texts = new Map<string, TReplicaExposition[]>();
  let lastTick = Date.now();
  let timer: NodeJS.Timeout | undefined;
  runtime.watch((status) => {
    if (status.phase === "absent") {
      deployments.delete(status.deploymentId);
      texts.delete(status.deploymentId);
      last.delete(status.deploymentId);
      scrapedAt.delete(status.deploymentId);
    } else deployments.add(status.deploymentId);
  });

  async function scrapeDeployment(id: string, seconds: number, at: number): Promise<void> {
    const point: TPoint = { at, seconds, ...emptyScrape(), replicas: 0 };
    const answered: TReplicaExposition[] = [];
    const previousAt = scrapedAt.get(id);
    const before = last.get(id) ?? new Map<string, { scrape: TScrape; at: number }>();
    const now = new Map<string, { scrape: TScrape; at: number }>();
    const endpoints = runtime.endpoints(id);
    await Promise.all(
      endpoints.map(async (endpoint) => {
        const key = `${endpoint.replicaId}@${endpoint.origin}`;
        const response = await fetch(`${endpoint.origin}/metrics`, {
          headers: { authorization: `Bearer ${endpoint.token}` },
          signal: AbortSignal.timeout(2000),
        }).catch(() => undefined);
        const text = response?.ok ? await response.text().catch(() => undefined) : undefined;
        if (text === undefined) {
          // Kept as the baseline: a replica that misses a scrape is not new when it answers again.
          const kept = before.get(key);
          if (kept) now.set(key, kept);
          return;
        }
        answered.push({ deploymentId: id, replicaId: endpoint.replicaId, text });
        const scrape = parseScrape(text);
        point.replicas += 1;
        const previous = before.get(key);
        now.set(key, { scrape, at });
        const increase = increaseSince(scrape, previous?.scrape, previousAt !== undefined);
        // After missed scrapes the increase spans several intervals: spread it, as a rate over its own span.
        const share =
          previous && previousAt !== undefined && previous.at < previousAt
            ? (at - previousAt) / (at - previous.at)
            : 1;
        point.requests += increase.requests * share;
        point.errors += increase.errors * share;
        point.predictions += increase.predictions * share;
        point.batchSum += increase.batchSum * share;
        point.batchCount += increase.batchCount * share;
        point.inFlight += scrape.inFlight;
        for (const [bound, count] of increase.buckets) {
          point.buckets.set(bound, (point.buckets.get(bound) ?? 0) + count * share);
        }
      }),
    );
    // Replicas no longer listed are dropped, so the map does not grow with every restart.
    last.set(id, now);
    scrapedAt.set(id, at);
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
      last.delete(deploymentId);
      scrapedAt.delete(deploymentId);
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
