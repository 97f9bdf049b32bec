import type { ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { waitFor } from "@kubeserve/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMetricsServer } from "../gateway/metrics";
import { deployIris } from "../test/deployments";
import { readIrisSamples } from "../test/fixtures";
import {
  createHarness,
  startHttp,
  testConfig,
  type THarness,
  type THttpServer,
} from "../test/harness";
import { freePort, hasPrometheus, startPrometheus, stopChild } from "../test/prometheus";
import { renderReplicaExposition } from "./prometheus-metrics.reexport";

// The metrics port re-exports the `local` replicas' own series (the compose stack's Prometheus cannot
// reach them on the api container's loopback): real replicas, the metrics listener wired as server.ts
// wires it, and the real Debian `prometheus` scraping it, which refuses a malformed exposition. It is
// the compose stack's one scrape target, so every Grafana panel over gateway and model-server series
// is evaluated here and must return data.

const dashboards = path.resolve(import.meta.dirname, "../../../../deploy/grafana/dashboards");

describe("re-exported replica metrics", () => {
  it("declares each family once over several replicas and adds replica and missing deployment labels", () => {
    const text = renderReplicaExposition([
      { deploymentId: "d1", replicaId: "r1", text: sample(1) },
      { deploymentId: "d1", replicaId: "r2", text: sample(2) },
    ]);
    expect(text.match(/# TYPE requests_total counter/g)).toHaveLength(1);
    expect(text.match(/# HELP requests_total/g)).toHaveLength(1);
    expect(text).toContain('requests_total{deployment="d1",code="200",replica="r1"} 1');
    expect(text).toContain('requests_total{deployment="d1",code="200",replica="r2"} 2');
    // Both replicas' samples sit under their family's one TYPE line.
    const lines = text.trim().split("\n");
    const at = (s: string) => lines.findIndex((l) => l.startsWith(s));
    expect(at('process_cpu_seconds_total{deployment="d1",replica="r2"}')).toBeGreaterThan(
      at("# TYPE process_cpu_seconds_total"),
    );
    expect(lines.filter((l) => l.startsWith("# TYPE"))).toHaveLength(3);
    expect(renderReplicaExposition([])).toBe("");
  });

  it("the metrics port is on loopback unless configured otherwise", () => {
    expect(testConfig().gateway.metricsHost).toBe("127.0.0.1");
  });
});

function sample(n: number): string {
  return [
    "# HELP requests_total x",
    "# TYPE requests_total counter",
    `requests_total{deployment="d1",code="200"} ${n}`,
    "# TYPE prediction_latency_ms histogram",
    `prediction_latency_ms_bucket{deployment="d1",le="+Inf"} ${n}`,
    `prediction_latency_ms_sum{deployment="d1"} ${n}`,
    "# TYPE process_cpu_seconds_total counter",
    `process_cpu_seconds_total ${n}`,
  ].join("\n");
}

describe.skipIf(!hasPrometheus)("the metrics port scraped by the real prometheus", () => {
  let h: THarness;
  let http: THttpServer;
  let d: Awaited<ReturnType<typeof deployIris>>;
  let metrics: Awaited<ReturnType<typeof startMetricsServer>>;
  let prometheus: ChildProcess | undefined;
  let promUrl: string;
  beforeAll(async () => {
    h = await createHarness("postgres");
    http = await startHttp(h);
    d = await deployIris(h, "reexport", { replicas: 2 });
    await predict();
    await h.deps.replicaMetrics.scrapeOnce();
    metrics = await startMetricsServer(h.deps.gateway.metrics, "127.0.0.1", 0, () =>
      renderReplicaExposition(h.deps.replicaMetrics.exposition()),
    );
    const promPort = await freePort();
    promUrl = `http://127.0.0.1:${promPort}`;
    prometheus = await startPrometheus({
      port: promPort,
      target: new URL(metrics.url).host,
      job: "kubeserve-api",
    });
    await waitFor(
      async () => ((await query('up{job="kubeserve-api"} == 1')).length ? true : undefined),
      {
        what: "Prometheus scraped the metrics port",
        timeoutMs: 30_000,
        intervalMs: 250,
      },
    );
    // Traffic over several scrapes, so every rate() has two samples with a difference.
    for (let second = 0; second < 6; second++) {
      await predict();
      await h.deps.replicaMetrics.scrapeOnce();
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    await new Promise((resolve) => setTimeout(resolve, 1500));
  });
  afterAll(async () => {
    await stopChild(prometheus);
    await metrics?.close();
    await http?.close();
    await h?.destroy();
  });

  async function predict() {
    const rows = readIrisSamples().inputs;
    for (let i = 0; i < 3; i++) {
      const r = await fetch(`${http.url}/api/v1/predict/${d.deploymentId}`, {
        method: "POST",
        headers: { authorization: `Bearer ${d.key}`, "content-type": "application/json" },
        body: JSON.stringify({ instances: rows }),
      });
      expect(r.status).toBe(200);
    }
  }

  const query = async (expr: string) => {
    const r = await fetch(`${promUrl}/api/v1/query?${new URLSearchParams({ query: expr })}`);
    return ((await r.json()) as { data: { result: Array<{ metric: Record<string, string> }> } })
      .data.result;
  };

  it("has each replica's own series with deployment and replica labels, beside the gateway's", async () => {
    const result = await waitFor(
      async () => {
        const up = await query('up{job="kubeserve-api"} == 1');
        if (!up.length) return undefined;
        const series = await query(`requests_total{deployment="${d.deploymentId}"}`);
        return series.length ? series : undefined;
      },
      { what: "Prometheus scraped the metrics port", timeoutMs: 30_000, intervalMs: 250 },
    );
    const replicas = new Set(result.map((s) => s.metric.replica));
    expect(replicas.size).toBe(2);
    expect(await query(`prediction_latency_ms_bucket{deployment="${d.deploymentId}"}`)).not.toEqual(
      [],
    );
    expect(await query(`gateway_requests_total{deployment="${d.deploymentId}"}`)).not.toEqual([]);
  });

  it("every Grafana expression returns data through it, except the cAdvisor/kube-state-metrics panels", async () => {
    for (const file of ["kubeserve-platform.json", "kubeserve-deployment.json"]) {
      const dashboard = JSON.parse(readFileSync(path.join(dashboards, file), "utf8")) as {
        panels: Array<{ id: number; targets: Array<{ refId: string; expr: string }> }>;
      };
      for (const panel of dashboard.panels) {
        for (const target of panel.targets) {
          // As Grafana sends it for this deployment and "All" namespaces.
          const expr = target.expr
            .replaceAll("$__rate_interval", "30s")
            .replaceAll("$namespace", ".*")
            .replaceAll("$deployment", d.deploymentId);
          const r = await fetch(`${promUrl}/api/v1/query?${new URLSearchParams({ query: expr })}`);
          const answer = (await r.json()) as { status: string; data?: { result: unknown[] } };
          const where = `${file} panel ${panel.id} ${target.refId}: ${expr}`;
          expect(answer.status, where).toBe("success");
          if (!/\b(container|kube)_[a-z_]+/.test(expr))
            expect(answer.data?.result.length, where).toBeGreaterThan(0);
        }
      }
    }
  });

  it("the public API port does not serve them", async () => {
    const r = await fetch(`${http.url}/metrics`);
    expect(r.status).toBe(404);
    expect(await r.text()).not.toContain("requests_total");
  });
});
