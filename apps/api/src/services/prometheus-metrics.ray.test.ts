import type { ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import type { Server } from "node:http";
import path from "node:path";
import { waitFor } from "@kubeserve/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, failureOf, type THarness, type TSignedUp } from "../test/harness";
import { freePort, hasPrometheus, startPrometheus, stopChild } from "../test/prometheus";
import { seedRunningDeployment } from "../test/prometheus";
import { promqlFor } from "./prometheus-metrics";
import { startRayExporter, type TRayApp } from "./prometheus-metrics.ray-exporter";

// deployment.metrics of a `ray` deployment from Prometheus: the real Debian `prometheus` binary scrapes a
// STAND-IN for Ray's metrics agent (prometheus-metrics.ray-exporter.ts, written from Ray's docs, since
// there is no Ray here) that serves our application's series and another tenant's on the same cluster.
// What was not run: a real Ray cluster's exporter. Skipped, saying so, where the binary is missing.

const rayMetricsPy = path.resolve(
  import.meta.dirname,
  "../../../../runtimes/sklearn/kubeserve_sklearn/ray_metrics.py",
);

function createRayDeployment(h: THarness, user: TSignedUp, name: string): Promise<string> {
  return seedRunningDeployment(h, user, {
    modelName: name,
    name: `${name}-on-ray`,
    runtime: "ray",
  });
}

describe.skipIf(!hasPrometheus)("deployment.metrics of ray deployments (real prometheus)", () => {
  let h: THarness;
  let owner: TSignedUp;
  let stranger: TSignedUp;
  let ours: TRayApp;
  let theirs: TRayApp;
  let exporter: Server | undefined;
  let prometheus: ChildProcess | undefined;
  beforeAll(async () => {
    const promPort = await freePort();
    h = await createHarness("postgres", { PROMETHEUS_URL: `http://127.0.0.1:${promPort}` });
    owner = await h.signUp("ray-prom");
    stranger = await h.signUp("ray-prom-other");
    ours = {
      deploymentId: await createRayDeployment(h, owner, "iris"),
      ok: 10,
      failed: 1,
      refused: 50,
      predictions: 20,
      latencyMs: 3,
      rowsPerRun: 4,
      inFlight: 3,
      healthyReplicas: 2,
    };
    // Another tenant's application on the same Ray cluster, far larger: any leak changes every ratio.
    theirs = {
      deploymentId: await createRayDeployment(h, stranger, "other"),
      ok: 1000,
      failed: 0,
      refused: 0,
      predictions: 5000,
      latencyMs: 0.05,
      rowsPerRun: 100,
      inFlight: 7,
      healthyReplicas: 5,
    };
    const started = await startRayExporter([ours, theirs]);
    exporter = started.server;
    prometheus = await startPrometheus({ port: promPort, target: started.target, job: "ray" });
  });
  afterAll(async () => {
    await stopChild(prometheus);
    await new Promise((resolve) => exporter?.close(resolve));
    await h?.destroy();
  });

  it("the stand-in serves the names and tag keys ray_metrics.py registers", () => {
    const source = readFileSync(rayMetricsPy, "utf8");
    expect(source).toContain('BASE = ("model", "version", "deployment")');
    expect(source).toMatch(/"kubeserve_requests",[^)]*tag_keys=\(\*BASE, "protocol", "code"\)/);
    expect(source).toMatch(/"kubeserve_predictions",[^)]*tag_keys=\(\*BASE, "protocol"\)/);
    expect(source).toMatch(/histogram\("prediction_latency_ms",[^)]*\(\*BASE, "protocol"\)\)/);
    expect(source).toContain('histogram("batch_size"');
    expect(source).toContain('gauge("requests_in_flight"');
  });

  it("reads the deployment's own figures: rates in the exporter's proportions, quantiles, replicas", async () => {
    const metrics = await waitFor(
      async () => {
        const answer = await owner.api.deployment.metrics({ id: ours.deploymentId, window: "5m" });
        const last = answer.points.at(-1);
        return last && last.requestsPerSecond > 0 && last.p50Ms !== null ? answer : undefined;
      },
      { what: "Prometheus has the ray deployment's rates", timeoutMs: 60_000, intervalMs: 500 },
    );
    expect(metrics.intervalSeconds).toBe(15);
    const last = metrics.points.at(-1)!;
    // 401s (the replica token refusing strangers) are not requests; the other tenant adds nothing.
    expect(last.errorsPerSecond / last.requestsPerSecond).toBeCloseTo(1 / 11, 9);
    expect(last.predictionsPerSecond / last.requestsPerSecond).toBeCloseTo(20 / 11, 9);
    // Every observation is 3 ms, in the (2, 5] bucket: Prometheus interpolates linearly within it.
    expect(last.p50Ms).toBeCloseTo(3.5, 9);
    expect(last.p95Ms).toBeCloseTo(4.85, 9);
    expect(last.p99Ms).toBeCloseTo(4.97, 9);
    expect(last.averageBatchSize).toBeCloseTo(4, 9);
    expect(last.inFlight).toBe(3);
    // Serve's replica health gauge, not the in-flight series (one per node, not per replica).
    expect(last.replicas).toBe(2);
  });

  it("every ray expression parses on the real server", async () => {
    for (const query of Object.values(promqlFor(ours.deploymentId, "ray"))) {
      const r = await fetch(`${h.config.gateway.prometheusUrl}/api/v1/query`, {
        method: "POST",
        body: new URLSearchParams({ query }),
      });
      expect(await r.json(), query).toMatchObject({ status: "success" });
    }
  });

  it("another tenant gets 404; with Prometheus unreachable the answer is a 503 naming it", async () => {
    const notFound = await failureOf(
      stranger.api.deployment.metrics({ id: ours.deploymentId, window: "5m" }),
    );
    expect(notFound.code).toBe("NOT_FOUND");
    const closed = await freePort();
    const offline = h.callerWith({ PROMETHEUS_URL: `http://127.0.0.1:${closed}` })(owner.token);
    expect(
      await failureOf(offline.deployment.metrics({ id: ours.deploymentId, window: "15m" })),
    ).toEqual({
      code: "SERVICE_UNAVAILABLE",
      message: `Metrics are unavailable: Prometheus at http://127.0.0.1:${closed} did not answer`,
    });
  });
});
