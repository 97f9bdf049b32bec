import { rayApplicationName } from "@kubeserve/k8s/names";
import { DomainError } from "../lib/errors";
import type { TDeploymentMetrics } from "../schemas/deployment";

// deployment.metrics for runtimes whose replicas this API does not scrape itself (kubernetes, ray): the
// same figures, read from Prometheus's HTTP API (GET /api/v1/query_range), over the series our model
// servers (ONNX and scikit-learn, or the Ray entry module through Ray's exporter) export, each labelled
// with its deployment id by the server itself.

export type TMetricsWindow = TDeploymentMetrics["window"];

export type TPrometheusMetrics = {
  query(
    deploymentId: string,
    runtime: TPrometheusRuntime,
    window: TMetricsWindow,
  ): Promise<TDeploymentMetrics>;
};

type TPoint = TDeploymentMetrics["points"][number];
type TField = Exclude<keyof TPoint, "at">;

/** Range and resolution per window: about 20–60 points, each a rate over the last minute. */
const windows: Record<TMetricsWindow, { seconds: number; stepSeconds: number }> = {
  "5m": { seconds: 300, stepSeconds: 15 },
  "15m": { seconds: 900, stepSeconds: 30 },
  "1h": { seconds: 3600, stepSeconds: 60 },
};

/** Runtimes whose series Prometheus holds (the API scrapes `local` replicas itself). */
export type TPrometheusRuntime = "kubernetes" | "ray";

/**
 * Series names per runtime. Ray's exporter puts `ray_` before every ray.util.metrics name and `_total`
 * after a Counter's (runtimes/sklearn/kubeserve_sklearn/ray_metrics.py registers `kubeserve_<name>`).
 */
const seriesNames = {
  kubernetes: (name: string) => name,
  ray: (name: string) => `ray_kubeserve_${name}`,
} satisfies Record<TPrometheusRuntime, (name: string) => string>;

/** A label value in double quotes: escape backslash and quote (ids are UUIDs; this keeps it true anyway). */
function quoted(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** PromQL per field of a point, over the series our servers label with the deployment's id. */
export function promqlFor(
  deploymentId: string,
  runtime: TPrometheusRuntime = "kubernetes",
): Record<TField, string> {
  const name = seriesNames[runtime];
  const s = `deployment=${quoted(deploymentId)}`;
  const rate = (series: string, extra = "") => `sum(rate(${name(series)}{${s}${extra}}[1m]))`;
  const latency = (q: number) =>
    `histogram_quantile(${q}, sum by (le) (rate(${name("prediction_latency_ms_bucket")}{${s}}[1m])))`;
  return {
    // 401s are the gateway's probes or strangers refused by the replica token, as in the local scrape.
    requestsPerSecond: rate("requests_total", ',code!="401"'),
    errorsPerSecond: rate("requests_total", ',code=~"5.."'),
    predictionsPerSecond: rate("predictions_total"),
    p50Ms: latency(0.5),
    p95Ms: latency(0.95),
    p99Ms: latency(0.99),
    inFlight: `sum(${name("requests_in_flight")}{${s}})`,
    replicas:
      runtime === "ray"
        ? // Ray's agent exports one series per node (Ray >= 2.53 drops WorkerId), so replicas sharing a
          // node share a gauge series: count Serve's own per-replica health gauge of our application.
          `sum(ray_serve_deployment_replica_healthy{application=${quoted(rayApplicationName(deploymentId))}})`
        : // Every pod exports one in-flight gauge, so the series count is the replicas Prometheus reached.
          `count(requests_in_flight{${s}})`,
    averageBatchSize: `${rate("batch_size_sum")} / ${rate("batch_size_count")}`,
  };
}

const nullable = new Set<TField>(["p50Ms", "p95Ms", "p99Ms", "averageBatchSize"]);

type TQueryRangeAnswer =
  | {
      status: "success";
      data: { resultType: string; result: Array<{ values?: Array<[number, string]> }> };
    }
  | { status: "error"; errorType?: string; error?: string };

export function createPrometheusMetrics(options: {
  url: string;
  timeoutMs: number;
  now?: () => number;
}): TPrometheusMetrics {
  const now = options.now ?? Date.now;
  const unavailable = (detail: string) =>
    new DomainError("SERVICE_UNAVAILABLE", `Metrics are unavailable: Prometheus ${detail}`, {
      retryAfterSeconds: 5,
    });

  async function queryRange(
    query: string,
    start: number,
    end: number,
    step: number,
  ): Promise<Map<number, string>> {
    const url = new URL(`${options.url}/api/v1/query_range`);
    const body = new URLSearchParams({
      query,
      start: String(start),
      end: String(end),
      step: String(step),
    });
    let response: Response;
    try {
      // POST form-encoded, as the API documents, so long expressions never hit URL length limits.
      response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body,
        signal: AbortSignal.timeout(options.timeoutMs),
      });
    } catch {
      throw unavailable(`at ${url.origin} did not answer`);
    }
    const answer = (await response.json().catch(() => undefined)) as TQueryRangeAnswer | undefined;
    if (!answer || answer.status !== "success") {
      const reason = answer && answer.status === "error" ? `: ${answer.errorType}` : "";
      throw unavailable(`answered ${response.status}${reason}`);
    }
    const values = new Map<number, string>();
    // sum() leaves one series (or none, when nothing matched in the range).
    for (const series of answer.data.result) {
      for (const [at, value] of series.values ?? []) values.set(at, value);
    }
    return values;
  }

  return {
    async query(deploymentId, runtime, window) {
      const { seconds, stepSeconds } = windows[window];
      // Aligned to the step, so repeated calls ask for the same timestamps (and Prometheus can cache).
      const end = Math.floor(now() / 1000 / stepSeconds) * stepSeconds;
      const start = end - seconds;
      const queries = Object.entries(promqlFor(deploymentId, runtime)) as Array<[TField, string]>;
      const answers = await Promise.all(
        queries.map(([, query]) => queryRange(query, start, end, stepSeconds)),
      );
      const times = new Set<number>();
      for (const answer of answers) for (const at of answer.keys()) times.add(at);
      const points = [...times]
        .sort((a, b) => a - b)
        .map((at) => {
          const point = { at: new Date(at * 1000).toISOString() } as TPoint;
          for (const [index, [field]] of queries.entries()) {
            const value = Number(answers[index]?.get(at) ?? Number.NaN);
            // NaN: no observation in that minute (0/0): a gap for latencies, zero for rates.
            const isKnown = Number.isFinite(value);
            (point as Record<TField, number | null>)[field] = isKnown
              ? value
              : nullable.has(field)
                ? null
                : 0;
          }
          return point;
        });
      return { window, intervalSeconds: stepSeconds, points };
    },
  };
}
