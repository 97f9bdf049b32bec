import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Registry } from "prom-client";

// The gateway's own Prometheus metrics. They show every tenant's traffic, so they are served on a separate
// listener (METRICS_HOST/METRICS_PORT, loopback by default), never on the public API port.
// prom-client validates and hashes the label object on every observation, even through a cached labels()
// child; these keep plain numbers per label set on the request path and render through its Registry at
// scrape time (the apps/inference fast-metrics approach), with the same names, labels and buckets.

export type TGatewayMetrics = {
  registry: Registry;
  observe(deployment: string, protocol: string, code: number, ms: number): void;
  inFlight: { inc(): void; dec(): void };
  rateLimited(deployment: string): void;
};

type TLabels = Record<string, string>;
type TValue = { value: number; labels: TLabels; metricName?: string };

const durationBuckets = [0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

type TSeries = {
  labels: TLabels;
  /** Requests by status code. */
  codes: Map<number, number>;
  buckets: Float64Array;
  sum: number;
  count: number;
};

function register(
  registry: Registry,
  name: string,
  help: string,
  type: "counter" | "gauge" | "histogram",
  values: () => TValue[],
): void {
  registry.registerMetric({
    name,
    help,
    type,
    aggregator: "sum",
    get: () => ({ name, help, type, aggregator: "sum", values: values() }),
  } as never);
}

export function createGatewayMetrics(): TGatewayMetrics {
  const registry = new Registry();
  // deployment → protocol → series: two Map reads per request, no string building.
  const series = new Map<string, Map<string, TSeries>>();
  const limited = new Map<string, number>();
  let inFlight = 0;

  function seriesOf(deployment: string, protocol: string): TSeries {
    let byProtocol = series.get(deployment);
    if (!byProtocol) {
      byProtocol = new Map();
      series.set(deployment, byProtocol);
    }
    let one = byProtocol.get(protocol);
    if (!one) {
      one = {
        labels: { deployment, protocol },
        codes: new Map(),
        buckets: new Float64Array(durationBuckets.length),
        sum: 0,
        count: 0,
      };
      byProtocol.set(protocol, one);
    }
    return one;
  }

  function* allSeries(): Generator<TSeries> {
    for (const byProtocol of series.values()) yield* byProtocol.values();
  }

  register(
    registry,
    "gateway_requests_total",
    "Prediction requests answered by the gateway",
    "counter",
    () =>
      [...allSeries()].flatMap((one) =>
        [...one.codes].map(([code, value]) => ({
          value,
          labels: { ...one.labels, code: String(code) },
        })),
      ),
  );
  const durationName = "gateway_request_duration_ms";
  register(
    registry,
    durationName,
    "Time from request to response headers through the gateway, in milliseconds",
    "histogram",
    () =>
      [...allSeries()].flatMap((one) => {
        const out: TValue[] = [];
        let cumulative = 0;
        durationBuckets.forEach((bound, i) => {
          cumulative += one.buckets[i] ?? 0;
          out.push({
            value: cumulative,
            labels: { le: String(bound), ...one.labels },
            metricName: `${durationName}_bucket`,
          });
        });
        out.push({
          value: one.count,
          labels: { le: "+Inf", ...one.labels },
          metricName: `${durationName}_bucket`,
        });
        out.push({ value: one.sum, labels: one.labels, metricName: `${durationName}_sum` });
        out.push({ value: one.count, labels: one.labels, metricName: `${durationName}_count` });
        return out;
      }),
  );
  register(
    registry,
    "gateway_requests_in_flight",
    "Prediction requests the gateway is handling now",
    "gauge",
    () => [{ value: inFlight, labels: {} }],
  );
  register(
    registry,
    "gateway_rate_limited_total",
    "Requests refused with 429 by the per-key rate limit",
    "counter",
    () => [...limited].map(([deployment, value]) => ({ value, labels: { deployment } })),
  );
  return {
    registry,
    inFlight: {
      inc: () => void inFlight++,
      dec: () => void inFlight--,
    },
    observe(deployment, protocol, code, ms) {
      const one = seriesOf(deployment, protocol);
      one.codes.set(code, (one.codes.get(code) ?? 0) + 1);
      for (let i = 0; i < durationBuckets.length; i++) {
        if (ms <= (durationBuckets[i] as number)) {
          (one.buckets[i] as number) += 1;
          break;
        }
      }
      one.sum += ms;
      one.count += 1;
    },
    rateLimited: (deployment) => void limited.set(deployment, (limited.get(deployment) ?? 0) + 1),
  };
}

/** Serves `/metrics` on its own listener (with `extra` text after the gateway's); resolves with the bound address. */
export async function startMetricsServer(
  metrics: TGatewayMetrics,
  host: string,
  port: number,
  extra: () => string = () => "",
): Promise<{ server: Server; url: string; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    if (req.method !== "GET" || req.url?.split("?")[0] !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      return;
    }
    metrics.registry.metrics().then(
      (text) =>
        res.writeHead(200, { "content-type": metrics.registry.contentType }).end(text + extra()),
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    server,
    url: `http://${shown}:${address.port}/metrics`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
