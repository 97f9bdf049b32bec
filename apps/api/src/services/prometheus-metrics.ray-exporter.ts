import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

// STAND-IN for Ray's per-node metrics agent endpoint (no Ray on these machines). Written from Ray's docs,
// not from a running Ray: "Adding Application-Level Metrics" (a ray.util.metrics metric `x` is exported as
// `ray_x`, histograms as `ray_x_bucket`/`_sum`/`_count` with `le`, tags become labels beside Ray's own
// `Component`, `Version`, `SessionName`, `NodeAddress`, `JobId`), ray.util.metrics.Counter (since Ray 2.10
// a Counter is exported as a counter `ray_x_total` and, for bug compatibility, also as a gauge `ray_x`),
// "System Metrics" (Ray >= 2.53 drops `WorkerId` by default) and the Serve monitoring page
// (`ray_serve_deployment_replica_healthy` by application, deployment, replica). The text is the Prometheus
// exposition format that prometheus_client (which Ray's agent uses) writes.
//
// Counters grow linearly from the moment the exporter starts, so every rate is a known multiple of one
// unknown factor (how much of the rate window Prometheus has samples for): ratios of rates are exact.

// The boundaries ray_metrics.py passes (LATENCY_MS and BATCH_ROWS of the runtime's metrics.py).
const LATENCY_BOUNDS = [0.1, 0.25, 0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000];
const BATCH_BOUNDS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512];

export type TRayApp = {
  deploymentId: string;
  /** Per second: answered 200, answered 500, refused 401 (the replica token check). */
  ok: number;
  failed: number;
  refused: number;
  predictions: number;
  /** Every observed latency, in ms (one value, so the quantiles are known). */
  latencyMs: number;
  rowsPerRun: number;
  inFlight: number;
  healthyReplicas: number;
};

type TLabels = Record<string, string>;

const rayLabels: TLabels = {
  Component: "core_worker",
  JobId: "02000000",
  NodeAddress: "10.0.0.5",
  SessionName: "session_2026-12-02_17-00-00_123456_1",
  Version: "2.53.0",
};

function labelText(labels: TLabels): string {
  const pairs = Object.entries(labels).map(
    ([k, v]) => `${k}="${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`,
  );
  return `{${pairs.join(",")}}`;
}

/** One metric family in the text format: HELP, TYPE, then its samples. */
function family(name: string, type: string, samples: Array<[string, TLabels, number]>): string {
  const lines = [`# HELP ${name} ${name}`, `# TYPE ${name} ${type}`];
  for (const [sample, labels, value] of samples) {
    lines.push(`${sample}${labelText({ ...rayLabels, ...labels })} ${value}`);
  }
  return lines.join("\n");
}

export function renderRayMetrics(apps: TRayApp[], seconds: number): string {
  const base = (app: TRayApp) => ({ model: "iris", version: "v1", deployment: app.deploymentId });
  const requests = apps.flatMap((app) =>
    (
      [
        ["200", app.ok],
        ["500", app.failed],
        ["401", app.refused],
      ] as const
    ).map(
      ([code, perSecond]) =>
        [{ ...base(app), protocol: "v2", code }, perSecond * seconds] as [TLabels, number],
    ),
  );
  const predictions = apps.map(
    (app) => [{ ...base(app), protocol: "v2" }, app.predictions * seconds] as [TLabels, number],
  );
  const histogram = (
    name: string,
    bounds: number[],
    pick: (app: TRayApp) => [TLabels, number, number],
  ) =>
    family(
      name,
      "histogram",
      apps.flatMap((app) => {
        const [labels, value, perSecond] = pick(app);
        const count = perSecond * seconds;
        return [
          ...bounds.map(
            (le) =>
              [`${name}_bucket`, { ...labels, le: String(le) }, value <= le ? count : 0] as [
                string,
                TLabels,
                number,
              ],
          ),
          [`${name}_bucket`, { ...labels, le: "+Inf" }, count],
          [`${name}_count`, labels, count],
          [`${name}_sum`, labels, count * value],
        ];
      }),
    );
  return [
    family(
      "ray_kubeserve_requests_total",
      "counter",
      requests.map(([l, v]) => ["ray_kubeserve_requests_total", l, v]),
    ),
    // The bug-compatibility gauge Ray >= 2.10 exports beside every Counter; queries must not read it.
    family(
      "ray_kubeserve_requests",
      "gauge",
      requests.map(([l, v]) => ["ray_kubeserve_requests", l, v * 1000]),
    ),
    family(
      "ray_kubeserve_predictions_total",
      "counter",
      predictions.map(([l, v]) => ["ray_kubeserve_predictions_total", l, v]),
    ),
    histogram("ray_kubeserve_prediction_latency_ms", LATENCY_BOUNDS, (app) => [
      { ...base(app), protocol: "v2" },
      app.latencyMs,
      app.ok + app.failed,
    ]),
    histogram("ray_kubeserve_batch_size", BATCH_BOUNDS, (app) => [
      base(app),
      app.rowsPerRun,
      app.ok,
    ]),
    family(
      "ray_kubeserve_requests_in_flight",
      "gauge",
      apps.map((app) => ["ray_kubeserve_requests_in_flight", base(app), app.inFlight]),
    ),
    family(
      "ray_serve_deployment_replica_healthy",
      "gauge",
      apps.flatMap((app) =>
        Array.from({ length: app.healthyReplicas }, (_, i) => [
          "ray_serve_deployment_replica_healthy",
          {
            application: `kubeserve-${app.deploymentId}`,
            deployment: "KubeServeModel",
            replica: `${app.deploymentId.slice(0, 8)}${i}`,
          },
          1,
        ]),
      ) as Array<[string, TLabels, number]>,
    ),
  ]
    .join("\n")
    .concat("\n");
}

export async function startRayExporter(
  apps: TRayApp[],
): Promise<{ server: Server; target: string }> {
  const startedAt = Date.now();
  const server = createServer((request, response) => {
    if (request.url !== "/metrics") {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" });
    response.end(renderRayMetrics(apps, (Date.now() - startedAt) / 1000));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { server, target: `127.0.0.1:${port}` };
}
