import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { waitFor } from "@kubeserve/testing";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { decideReplicas } from "../services/deployment-runtime";
import { deployIris } from "../test/deployments";
import { readIrisSamples } from "../test/fixtures";
import { createHarness, startHttp, type THarness, type THttpServer } from "../test/harness";
import type { TEndpoint, TRuntimeStatus } from "./driver";
import { createReplicaMetrics, increaseSince, parseScrape, quantile } from "./replica-metrics";

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

/** A model server's /metrics after `requests` requests, all under 1 ms, in batches of one. */
const exposition = (requests: number) =>
  [
    `requests_total{protocol="v1",code="200"} ${requests}`,
    `predictions_total{protocol="v1"} ${requests}`,
    `prediction_latency_ms_bucket{protocol="v1",le="1"} ${requests}`,
    `prediction_latency_ms_bucket{protocol="v1",le="+Inf"} ${requests}`,
    `batch_size_sum ${requests}`,
    `batch_size_count ${requests}`,
  ].join("\n");

describe("replica counter resets", () => {
  it("counts a new replica from zero, and a lower counter as a restart that reset every counter", () => {
    const at = (n: number) => parseScrape(exposition(n));
    expect(increaseSince(at(7), undefined, true).requests).toBe(7);
    // Already running when first seen (the API restarted and adopted it): only the baseline.
    expect(increaseSince(at(5000), undefined, false).requests).toBe(0);
    expect(increaseSince(at(130), at(100), false).requests).toBe(30);
    const reset = increaseSince(at(4), at(100), false);
    expect([reset.requests, reset.predictions, reset.batchCount]).toEqual([4, 4, 4]);
    expect(reset.buckets.get(Infinity)).toBe(4);
    // One counter lower is a reset of all: requests above the old value must not count as only the difference.
    const before = parseScrape(`${exposition(100)}\nrequests_total{protocol="v1",code="500"} 50`);
    const mixed = increaseSince(at(120), before, false);
    expect(mixed.requests).toBe(120);
    expect(mixed.buckets.get(1)).toBe(120);
  });

  type TFakeReplica = { id: string; server: Server; requests: number; isAnswering: boolean };
  const replicas: TFakeReplica[] = [];
  afterEach(async () => {
    await Promise.all(
      replicas
        .splice(0)
        .map((r) => new Promise<void>((resolve) => r.server.close(() => resolve()))),
    );
  });

  async function startReplica(id: string, requests: number): Promise<TFakeReplica> {
    const replica: TFakeReplica = { id, server: createServer(), requests, isAnswering: true };
    replica.server.on("request", (req, res) => {
      if (req.headers.authorization !== `Bearer token-${id}` || !replica.isAnswering) {
        res.writeHead(503).end();
        return;
      }
      res.end(exposition(replica.requests));
    });
    await new Promise<void>((resolve) => replica.server.listen(0, "127.0.0.1", resolve));
    replicas.push(replica);
    return replica;
  }

  function metricsOver(listed: () => TFakeReplica[]) {
    const deploymentId = "d-resets";
    const toEndpoint = (r: TFakeReplica): TEndpoint => ({
      replicaId: r.id,
      deploymentId,
      origin: `http://127.0.0.1:${(r.server.address() as AddressInfo).port}`,
      token: `token-${r.id}`,
      generation: 1,
    });
    let listener: ((status: TRuntimeStatus) => void) | undefined;
    const metrics = createReplicaMetrics({
      runtime: {
        watch: (l) => {
          listener = l;
          return () => undefined;
        },
        endpoints: () => listed().map(toEndpoint),
      },
      log: pino({ level: "silent" }),
      intervalMs: 5000,
    });
    listener?.({
      deploymentId,
      phase: "running",
      reason: undefined,
      desiredReplicas: 1,
      generation: 1,
      replicas: [],
    });
    const requestsIn = () => {
      const points = metrics.query(deploymentId, "5m").points;
      return { last: points.at(-1), points };
    };
    return { metrics, requestsIn };
  }

  it("never goes negative or spikes when replicas restart, scale up, miss scrapes or were adopted", async () => {
    const adopted = await startReplica("r-old", 90_000);
    let listed = [adopted];
    const { metrics, requestsIn } = metricsOver(() => listed);
    // Scrapes a few ms apart, so each point's span (from its timestamps) is never zero.
    const scrape = async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      await metrics.scrapeOnce();
    };
    await scrape();
    // Its lifetime count is no burst of traffic.
    expect(requestsIn().last?.requestsPerSecond).toBe(0);

    adopted.requests += 10;
    const added = await startReplica("r-new", 6);
    listed = [adopted, added];
    await scrape();
    const afterScaleUp = requestsIn().last;
    expect(afterScaleUp?.replicas).toBe(2);
    expect(afterScaleUp?.p50Ms).toBeLessThanOrEqual(1);

    // r-old restarts on the same port (counters back to 3) while r-new serves 4 more.
    adopted.requests = 3;
    added.requests += 4;
    await scrape();
    // r-new misses two scrapes, then answers with 30 more spread over the three intervals.
    added.isAnswering = false;
    adopted.requests += 2;
    await scrape();
    adopted.requests += 2;
    await scrape();
    added.isAnswering = true;
    added.requests += 30;
    await scrape();

    const { points } = requestsIn();
    expect(points).toHaveLength(6);
    for (const point of points) {
      expect(point.requestsPerSecond).toBeGreaterThanOrEqual(0);
      expect(point.predictionsPerSecond).toBeGreaterThanOrEqual(0);
      expect(point.errorsPerSecond).toBe(0);
    }
    // Back to counts per scrape: the seconds between scrapes are the same for each point's rate and count.
    const counts = points.map((p, i) => {
      const span = i === 0 ? 0 : (Date.parse(p.at) - Date.parse(points[i - 1]?.at ?? p.at)) / 1000;
      return p.requestsPerSecond * span;
    });
    expect(counts[1]).toBeCloseTo(10 + 6, 0);
    expect(counts[2]).toBeCloseTo(3 + 4, 0);
    expect(counts[3]).toBeCloseTo(2, 0);
    expect(counts[4]).toBeCloseTo(2, 0);
    // The 30 span three intervals: only this interval's share counts here (by time), not a spike of 30.
    expect(counts[5]).toBeGreaterThan(0);
    expect(counts[5]).toBeLessThan(25);
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
