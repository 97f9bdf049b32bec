import { waitFor } from "@kubeserve/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decideReplicas } from "../services/deployment-runtime";
import { deployIris } from "../test/deployments";
import { readIrisSamples } from "../test/fixtures";
import { createHarness, startHttp, type THarness, type THttpServer } from "../test/harness";
import { parseScrape, quantile } from "./replica-metrics";

const rows = readIrisSamples().inputs;

describe("replica metrics parsing", () => {
  it("sums requests, errors, predictions and latency buckets over labels, skipping 401s, probes and scrapes", () => {
    const scrape = parseScrape(
      [
        "# HELP requests_total x",
        'requests_total{model="m",protocol="v1",code="200"} 10',
        'requests_total{model="m",protocol="v2",code="500"} 2',
        'requests_total{model="m",protocol="other",code="401"} 7',
        'requests_total{model="m",protocol="probe",code="200"} 30',
        'requests_total{model="m",protocol="probe",code="503"} 3',
        'requests_total{model="m",protocol="other",code="200"} 5',
        'predictions_total{protocol="v1"} 40',
        'prediction_latency_ms_bucket{protocol="v1",le="1"} 4',
        'prediction_latency_ms_bucket{protocol="v1",le="5"} 10',
        'prediction_latency_ms_bucket{protocol="v1",le="+Inf"} 12',
        "requests_in_flight 3",
        "batch_size_sum 30",
        "batch_size_count 10",
      ].join("\n"),
    );
    expect(scrape).toMatchObject({
      requests: 12,
      errors: 2,
      predictions: 40,
      inFlight: 3,
      batchSum: 30,
      batchCount: 10,
    });
    expect(scrape.buckets.get(Infinity)).toBe(12);
  });

  it("reads the Ray entry module's series as Ray exports them, only for the deployment asked", () => {
    const ours = "0190a6f2-8000-7000-8000-0000000000a1";
    const tags = (deployment: string, extra = "") =>
      `{Component="core_worker",SessionName="session_1",model="iris",version="1",deployment="${deployment}"${extra}}`;
    const text = [
      "# TYPE ray_kubeserve_requests_total counter",
      `ray_kubeserve_requests_total${tags(ours, ',protocol="v2",code="200"')} 9`,
      `ray_kubeserve_requests_total${tags(ours, ',protocol="v2",code="503"')} 1`,
      `ray_kubeserve_requests_total${tags(ours, ',protocol="other",code="401"')} 4`,
      // Ray ≥ 2.10 also exports each counter as a gauge without _total: not counted twice.
      `ray_kubeserve_requests${tags(ours, ',protocol="v2",code="200"')} 9`,
      `ray_kubeserve_requests_total${tags("someone-else", ',protocol="v2",code="200"')} 1000`,
      `ray_kubeserve_predictions_total${tags(ours, ',protocol="v2"')} 30`,
      `ray_kubeserve_prediction_latency_ms_bucket${tags(ours, ',protocol="v2",le="+Inf"')} 10`,
      `ray_kubeserve_requests_in_flight${tags(ours)} 2`,
      `ray_kubeserve_batch_size_sum${tags(ours)} 30`,
      `ray_kubeserve_batch_size_count${tags(ours)} 6`,
      `ray_serve_num_http_requests_total{application="kubeserve-${ours}"} 77`,
    ].join("\n");
    expect(parseScrape(text, ours)).toMatchObject({
      requests: 10,
      errors: 1,
      predictions: 30,
      inFlight: 2,
      batchSum: 30,
      batchCount: 6,
    });
    expect(parseScrape(text, ours).buckets.get(Infinity)).toBe(10);
  });

  it("interpolates quantiles inside the bucket as Prometheus does", () => {
    const buckets = new Map([
      [1, 50],
      [2, 100],
      [Infinity, 100],
    ]);
    expect(quantile(0.5, buckets)).toBe(1);
    expect(quantile(0.75, buckets)).toBe(1.5);
    expect(quantile(0.5, new Map())).toBeNull();
  });
});

describe("autoscaling decisions", () => {
  const policy = { minReplicas: 1, maxReplicas: 4, targetInFlight: 2 };
  it.each([
    [1, 0, 1],
    [1, 5, 3],
    [2, 100, 4],
    [4, 0, 3],
    [2, 3.9, 2],
    [1, 0.1, 1],
  ])("from %i replicas at %d in flight → %i", (current, inFlight, expected) => {
    expect(decideReplicas(current, inFlight, policy)).toBe(expected);
  });
});

describe("metrics window and autoscaler on running replicas", () => {
  let h: THarness;
  let server: THttpServer;
  beforeAll(async () => {
    h = await createHarness("postgres", { AUTOSCALE_INTERVAL_SECONDS: "1" });
    server = await startHttp(h);
  });
  afterAll(async () => {
    await server.close();
    await h.destroy();
  });

  const predict = (id: string, key: string) =>
    fetch(`${server.url}/api/v1/predict/${id}`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ instances: rows }),
    }).then((r) => r.arrayBuffer());

  it("serves request rate, latency quantiles and batch size from scraped replicas", async () => {
    const d = await deployIris(h, "metrics");
    await h.deps.replicaMetrics.scrapeOnce();
    for (let i = 0; i < 20; i++) await predict(d.deploymentId, d.key);
    await h.deps.replicaMetrics.scrapeOnce();
    const metrics = await d.user.api.deployment.metrics({ id: d.deploymentId, window: "5m" });
    expect(metrics.window).toBe("5m");
    const last = metrics.points.at(-1);
    expect(last?.requestsPerSecond).toBeGreaterThan(0);
    expect(last?.predictionsPerSecond).toBeGreaterThan(last?.requestsPerSecond ?? 0);
    expect(last?.errorsPerSecond).toBe(0);
    expect(last?.p50Ms).toBeGreaterThan(0);
    expect(last?.p99Ms).toBeGreaterThanOrEqual(last?.p50Ms ?? 0);
    expect(last?.averageBatchSize).toBeGreaterThanOrEqual(rows.length);
    expect(last?.replicas).toBe(1);
    // Another user sees nothing of it.
    const stranger = await h.signUp("nosy");
    await expect(stranger.api.deployment.metrics({ id: d.deploymentId })).rejects.toThrow(
      /not found/,
    );
  });

  it("reads 0 requests a second on an idle deployment however often it is probed and scraped", async () => {
    const d = await deployIris(h, "idle");
    const [endpoint] = h.deps.runtimes.get("local").endpoints(d.deploymentId);
    if (!endpoint) throw new Error("no ready replica");
    await h.deps.replicaMetrics.scrapeOnce();
    // What the supervisor, a load balancer and the scraper do to an idle replica, many times over.
    const auth = { authorization: `Bearer ${endpoint.token}` };
    for (let i = 0; i < 10; i++) {
      for (const path of ["/v2/health/ready", "/v2/health/live", "/health", "/metrics"]) {
        await fetch(`${endpoint.origin}${path}`, { headers: auth }).then((r) => r.arrayBuffer());
      }
      await h.deps.replicaMetrics.scrapeOnce();
    }
    const metrics = await d.user.api.deployment.metrics({ id: d.deploymentId, window: "5m" });
    expect(metrics.points.length).toBeGreaterThan(0);
    for (const point of metrics.points) {
      expect(point.requestsPerSecond).toBe(0);
      expect(point.errorsPerSecond).toBe(0);
    }
    // One real prediction still counts.
    await predict(d.deploymentId, d.key);
    await h.deps.replicaMetrics.scrapeOnce();
    const after = await d.user.api.deployment.metrics({ id: d.deploymentId, window: "5m" });
    expect(after.points.at(-1)?.requestsPerSecond).toBeGreaterThan(0);
  });

  // The harness runs the same autoscaler loop as the API (AUTOSCALE_INTERVAL_SECONDS=1 here).
  it("scales between min and max on in-flight requests", async () => {
    const d = await deployIris(h, "autoscale");
    await d.user.api.deployment.update({
      id: d.deploymentId,
      autoscaling: { minReplicas: 1, maxReplicas: 2, targetInFlight: 1 },
    });
    let isLoading = true;
    const loops = Array.from({ length: 8 }, async () => {
      while (isLoading) await predict(d.deploymentId, d.key);
    });
    try {
      await waitFor(
        async () =>
          (await d.user.api.deployment.get({ id: d.deploymentId })).replicas === 2
            ? true
            : undefined,
        { what: "scale up to 2", timeoutMs: 20_000, intervalMs: 100 },
      );
      await waitFor(
        () =>
          h.deps.runtimes.get("local").endpoints(d.deploymentId).length === 2 ? true : undefined,
        {
          what: "second replica ready",
          timeoutMs: 20_000,
        },
      );
      isLoading = false;
      await Promise.all(loops);
      await waitFor(
        async () =>
          (await d.user.api.deployment.get({ id: d.deploymentId })).replicas === 1
            ? true
            : undefined,
        { what: "scale back down to 1", timeoutMs: 20_000, intervalMs: 100 },
      );
    } finally {
      isLoading = false;
    }
  });
});
