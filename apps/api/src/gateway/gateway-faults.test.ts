import { writeFileSync } from "node:fs";
import path from "node:path";
import { testDatabaseKinds } from "@kubeserve/db/testing";
import { waitFor } from "@kubeserve/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isAlive } from "../runtime/local-process";
import { reconcileRuntime } from "../services/deployment-runtime";
import { deployIris, waitForStatus } from "../test/deployments";
import { readIrisSamples } from "../test/fixtures";
import { createHarness, startHttp, type THarness, type THttpServer } from "../test/harness";
import { seedReadyVersion } from "../test/ready-version";

const rows = readIrisSamples().inputs;

describe.each(testDatabaseKinds)("gateway faults on %s", (kind) => {
  let h: THarness;
  let server: THttpServer;
  beforeAll(async () => {
    h = await createHarness(kind, { RUNTIME_MAX_RESTARTS: "2", RUNTIME_RESTART_BACKOFF_MS: "100" });
    server = await startHttp(h);
  });
  afterAll(async () => {
    await server.close();
    await h.destroy();
  });

  const predict = (id: string, key: string, body: unknown = { instances: rows.slice(0, 2) }) =>
    fetch(`${server.url}/api/v1/predict/${id}`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });

  it("a replica killed with kill -9 mid-request fails that request at most once and serves again within 5 s", async () => {
    const d = await deployIris(h, "kill9");
    const [replica] = h.deps.runtimes.get("local").status(d.deploymentId).replicas;
    // A big batch keeps the replica busy long enough to die mid-request.
    const big = { instances: Array.from({ length: 200_000 }, (_, i) => rows[i % rows.length]) };
    const inFlight = predict(d.deploymentId, d.key, big);
    await new Promise((resolve) => setTimeout(resolve, 150));
    process.kill(replica?.pid ?? 0, "SIGKILL");
    const killedAt = Date.now();
    const first = await inFlight;
    expect([200, 502, 503]).toContain(first.status);
    await first.arrayBuffer();
    const back = await waitFor(
      async () => {
        const response = await predict(d.deploymentId, d.key);
        if (response.status !== 200) {
          expect(response.status).toBe(503);
          expect(response.headers.get("retry-after")).toBe("1");
          await response.arrayBuffer();
          return undefined;
        }
        return response;
      },
      { what: "predictions after kill -9", timeoutMs: 5000, intervalMs: 50 },
    );
    expect(Date.now() - killedAt).toBeLessThan(5000);
    await back.arrayBuffer();
    const detail = await d.user.api.deployment.get({ id: d.deploymentId });
    expect(detail.currentReplicas[0]).toMatchObject({ restarts: 1, state: "ready" });
    expect(isAlive(replica?.pid ?? 0)).toBe(false);
  });

  it("with two replicas a kill -9 costs no failed request: reads and predictions retry on the other", async () => {
    const d = await deployIris(h, "kill9two", { replicas: 2 });
    const failures: number[] = [];
    let isLooping = true;
    const loop = async () => {
      while (isLooping) {
        const response = await predict(d.deploymentId, d.key).catch(() => undefined);
        if (response?.status !== 200) failures.push(response?.status ?? 0);
        await response?.arrayBuffer();
      }
    };
    const loops = Array.from({ length: 3 }, loop);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const [victim] = h.deps.runtimes.get("local").status(d.deploymentId).replicas;
    process.kill(victim?.pid ?? 0, "SIGKILL");
    try {
      await waitFor(
        () =>
          h.deps.runtimes.get("local").endpoints(d.deploymentId).length === 2 &&
          h.deps.runtimes
            .get("local")
            .status(d.deploymentId)
            .replicas.every((r) => r.pid !== victim?.pid)
            ? true
            : undefined,
        { what: "replacement replica", timeoutMs: 5000 },
      );
    } finally {
      isLooping = false;
      await Promise.all(loops);
    }
    // The requests open on the killed replica at the moment it died may fail (each at most once).
    expect(failures.length).toBeLessThanOrEqual(3);
  });

  it("a model that crashes on start ends failed with the reason, after a bounded number of restarts", async () => {
    const user = await h.signUp("crashy");
    const model = await user.api.model.create({ name: "crashy" });
    const version = await user.api.version.create({
      modelId: model.id,
      tag: "v1",
      framework: "onnx",
    });
    const broken = path.join(h.config.homeDir, "broken.onnx");
    writeFileSync(broken, "not an onnx model at all");
    await seedReadyVersion(h.deps, { userId: user.userId, versionId: version.id, file: broken });
    const deployment = await user.api.deployment.create({ versionId: version.id, name: "crashy" });
    const failed = await waitForStatus(h, user, deployment.id, "failed", 60_000);
    expect(failed.statusMessage).toMatch(/failed 3 times in a row; last: exited with code 1/);
    expect(failed.events.map((e) => e.status)).toEqual(["pending", "deploying", "failed"]);
    // No restart storm: nothing runs, and the periodic reconcile leaves it failed.
    await reconcileRuntime(h.deps);
    expect(h.deps.runtimes.get("local").endpoints(deployment.id)).toEqual([]);
    const { secret } = await user.api.apiKey.create({ name: "k" });
    expect((await predict(deployment.id, secret)).status).toBe(503);
    // The API keeps serving others.
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });
});
