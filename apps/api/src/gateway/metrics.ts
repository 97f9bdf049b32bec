import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Counter, Gauge, Histogram, Registry } from "prom-client";

// The gateway's own Prometheus metrics. They show every tenant's traffic, so they are served on a separate
// listener (METRICS_HOST/METRICS_PORT, loopback by default), never on the public API port.

export type TGatewayMetrics = {
  registry: Registry;
  observe(deployment: string, protocol: string, code: number, ms: number): void;
  inFlight: Gauge;
  rateLimited(deployment: string): void;
};

export function createGatewayMetrics(): TGatewayMetrics {
  const registry = new Registry();
  const requests = new Counter({
    name: "gateway_requests_total",
    help: "Prediction requests answered by the gateway",
    labelNames: ["deployment", "protocol", "code"],
    registers: [registry],
  });
  const duration = new Histogram({
    name: "gateway_request_duration_ms",
    help: "Time from request to response headers through the gateway, in milliseconds",
    labelNames: ["deployment", "protocol"],
    buckets: [0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000],
    registers: [registry],
  });
  const inFlight = new Gauge({
    name: "gateway_requests_in_flight",
    help: "Prediction requests the gateway is handling now",
    registers: [registry],
  });
  const limited = new Counter({
    name: "gateway_rate_limited_total",
    help: "Requests refused with 429 by the per-key rate limit",
    labelNames: ["deployment"],
    registers: [registry],
  });
  // prom-client hashes label objects on every call; children are looked up once per label set instead.
  const counters = new Map<string, Counter.Internal>();
  const histograms = new Map<string, Histogram.Internal<string>>();
  return {
    registry,
    inFlight,
    observe(deployment, protocol, code, ms) {
      const k = `${deployment}|${protocol}|${code}`;
      let counter = counters.get(k);
      if (!counter) {
        counter = requests.labels(deployment, protocol, String(code));
        counters.set(k, counter);
      }
      counter.inc();
      const hk = `${deployment}|${protocol}`;
      let histogram = histograms.get(hk);
      if (!histogram) {
        histogram = duration.labels(deployment, protocol);
        histograms.set(hk, histogram);
      }
      histogram.observe(ms);
    },
    rateLimited: (deployment) => limited.labels(deployment).inc(),
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
