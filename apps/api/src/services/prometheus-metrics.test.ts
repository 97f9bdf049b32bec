import { spawn, type ChildProcess } from "node:child_process";
import { waitFor } from "@kubeserve/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { irisModelPath } from "../test/fixtures";
import { createHarness, failureOf, type THarness, type TSignedUp } from "../test/harness";
import { freePort, hasPrometheus, startPrometheus, stopChild } from "../test/prometheus";
import { seedRunningDeployment } from "../test/prometheus";
import { promqlFor } from "./prometheus-metrics";

// deployment.metrics of a kubernetes deployment from Prometheus: the real Debian `prometheus` binary
// scrapes the real model server (labelled with the deployment's id, as in a pod) every second, and the
// API reads the figures back through /api/v1/query_range. Skipped, saying so, where the binary is missing.

describe.skipIf(!hasPrometheus)(
  "deployment.metrics from Prometheus (real prometheus binary)",
  () => {
    let h: THarness;
    let user: TSignedUp;
    let deploymentId: string;
    let server: ChildProcess | undefined;
    let prometheus: ChildProcess | undefined;
    let serverUrl: string;
    beforeAll(async () => {
      const [serverPort, promPort] = [await freePort(), await freePort()];
      h = await createHarness("postgres", { PROMETHEUS_URL: `http://127.0.0.1:${promPort}` });
      user = await h.signUp("prom");
      // The model server below plays the kubernetes deployment's pod.
      deploymentId = await seedRunningDeployment(h, user, {
        modelName: "iris",
        name: "on-k8s",
        runtime: "kubernetes",
      });
      server = spawn(process.execPath, [h.config.runtime.inferenceCli], {
        env: {
          KUBESERVE_MODEL: irisModelPath,
          KUBESERVE_MODEL_NAME: "iris",
          KUBESERVE_MODEL_VERSION: "v1",
          KUBESERVE_DEPLOYMENT: deploymentId,
          KUBESERVE_HOST: "127.0.0.1",
          KUBESERVE_PORT: String(serverPort),
          KUBESERVE_WORKERS: "1",
        },
        stdio: "ignore",
      });
      serverUrl = `http://127.0.0.1:${serverPort}`;
      prometheus = await startPrometheus({
        port: promPort,
        target: `127.0.0.1:${serverPort}`,
        job: "model-server",
      });
      await waitFor(
        async () => {
          const r = await fetch(`${serverUrl}/v2/health/ready`).catch(() => undefined);
          return r?.ok ? true : undefined;
        },
        { what: "model server ready", timeoutMs: 30_000 },
      );
    });
    afterAll(async () => {
      await stopChild(prometheus);
      await stopChild(server);
      await h?.destroy();
    });

    it("reads request rate, predictions, latency and in-flight of the deployment's own series", async () => {
      const infer = JSON.stringify({
        inputs: [{ name: "input", shape: [1, 4], datatype: "FP32", data: [5.1, 3.5, 1.4, 0.2] }],
      });
      const metrics = await waitFor(
        async () => {
          for (let i = 0; i < 10; i++) {
            const r = await fetch(`${serverUrl}/v2/models/iris/infer`, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: infer,
            });
            expect(r.status).toBe(200);
          }
          const answer = await user.api.deployment
            .metrics({ id: deploymentId, window: "5m" })
            .catch(() => undefined);
          const last = answer?.points.at(-1);
          return last && last.requestsPerSecond > 0 && last.p50Ms !== null ? answer : undefined;
        },
        { what: "Prometheus has rates for the deployment", timeoutMs: 60_000, intervalMs: 500 },
      );
      expect(metrics.window).toBe("5m");
      expect(metrics.intervalSeconds).toBe(15);
      const last = metrics.points.at(-1);
      expect(last?.predictionsPerSecond).toBeGreaterThan(0);
      expect(last?.errorsPerSecond).toBe(0);
      expect(last?.p95Ms).toBeGreaterThan(0);
      expect(last?.inFlight).toBeGreaterThanOrEqual(0);
      // One model server is scraped.
      expect(last?.replicas).toBe(1);
      // Every point is on the step grid, oldest first.
      const times = metrics.points.map((p) => Date.parse(p.at) / 1000);
      expect(times.every((t) => t % 15 === 0)).toBe(true);
      expect([...times].sort((a, b) => a - b)).toEqual(times);
    });

    it("every expression parses on the real server (no query error for any series)", async () => {
      const url = `${h.config.gateway.prometheusUrl}/api/v1/query`;
      for (const query of Object.values(promqlFor(deploymentId))) {
        const r = await fetch(url, { method: "POST", body: new URLSearchParams({ query }) });
        expect(await r.json(), query).toMatchObject({ status: "success" });
      }
    });

    it("another tenant gets 404; with Prometheus unreachable the answer is a 503 naming it", async () => {
      const stranger = await h.signUp("stranger");
      const notFound = await failureOf(
        stranger.api.deployment.metrics({ id: deploymentId, window: "5m" }),
      );
      expect(notFound.code).toBe("NOT_FOUND");
      const closed = await freePort();
      const offline = h.callerWith({ PROMETHEUS_URL: `http://127.0.0.1:${closed}` })(user.token);
      const failure = await failureOf(
        offline.deployment.metrics({ id: deploymentId, window: "1h" }),
      );
      expect(failure).toEqual({
        code: "SERVICE_UNAVAILABLE",
        message: `Metrics are unavailable: Prometheus at http://127.0.0.1:${closed} did not answer`,
      });
    });
  },
);
