import { createHash } from "node:crypto";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { resolveRayConfig, ZRayEnv } from "../config/ray";
import { createRestBackend } from "./ray-backend";
import { startFakeRayDashboard, type TFakeRayDashboard } from "./ray-fake-dashboard";
import { createServeApi } from "./ray-serve-api";
import { createRayDriver, type TRayDriver } from "./ray.driver";
import { desiredRay } from "./ray-fixtures";

// The ray driver against a fake Ray dashboard: exact PUT bodies, others' applications kept, states.

const id = "0190a6f2-8000-7000-8000-0000000000a1";
const other = {
  name: "fraud",
  route_prefix: "/fraud",
  import_path: "fraud.serve:app",
  runtime_env: { pip: ["scikit-learn==1.4.2"] },
  deployments: [{ name: "Fraud", num_replicas: 2 }],
};

function desired(replicas = 1, generation = 1) {
  return desiredRay(id, {
    replicas,
    generation,
    sha256: generation === 1 ? "ab".repeat(32) : "ef".repeat(32),
    resources: { cpuRequest: "500m", memoryLimit: "512Mi" },
    runtimeOptions: { batching: "auto", maxBatchSize: 8, maxQueueDelayMs: 2 },
  });
}

let fake: TFakeRayDashboard;
let driver: TRayDriver;

function start(url: string, preflightSeconds = "5") {
  const config = resolveRayConfig(
    ZRayEnv.parse({
      RUNTIMES_ENABLED: "ray",
      RAY_DASHBOARD_URL: url,
      RAY_SERVE_URL: "http://ray-serve:8000",
      RAY_POLL_MS: "10",
      RAY_RETRY_ATTEMPTS: "3",
      RAY_RETRY_BACKOFF_MS: "10",
      RAY_REQUEST_TIMEOUT_MS: "300",
      RAY_READY_TIMEOUT_SECONDS: "5",
      RAY_PREFLIGHT_SECONDS: preflightSeconds,
    }),
  );
  const log = pino({ level: "silent" });
  const api = createServeApi({ ...config, timeoutMs: config.requestTimeoutMs, dashboardUrl: url });
  const lock = <T>(work: () => Promise<T>) => work();
  return createRayDriver({
    config,
    backend: createRestBackend({ api, lock, log }),
    log,
    artifactUrl: (d) => `http://api:4000/api/v1/runtime/artifacts/${d.id}?expires=1&signature=s`,
    replicaToken: (deploymentId) => `ksp_token-of-${deploymentId}`,
  });
}

beforeEach(async () => {
  fake = await startFakeRayDashboard();
  fake.addOther(other);
  driver = start(fake.url);
});
afterEach(async () => {
  await driver.close();
  await fake.close();
});

describe("ray driver (Serve REST API)", () => {
  it("creates, scales and deletes only its own application; the other one is sent back byte-for-byte", async () => {
    await driver.apply(desired(1));
    expect(driver.status(id).phase).toBe("running");
    const first = fake.puts[0]!;
    expect(first).toEqual({
      proxy_location: "EveryNode",
      http_options: { host: "0.0.0.0", port: 8000 },
      applications: [
        other,
        {
          name: `kubeserve-${id}`,
          route_prefix: `/kubeserve/${id}`,
          import_path: "kubeserve_sklearn.ray_entry:app",
          runtime_env: {
            env_vars: { KUBESERVE_DEPLOYMENT_ID: id, KUBESERVE_RAY_NAMESPACE: "kubeserve" },
          },
          args: {
            deployment_id: id,
            model_name: "iris",
            generation: 1,
            artifact_url: `http://api:4000/api/v1/runtime/artifacts/${id}?expires=1&signature=s`,
            artifact_sha256: "ab".repeat(32),
            token_sha256: createHash("sha256").update(`ksp_token-of-${id}`).digest("hex"),
          },
          deployments: [
            {
              name: "KubeServeModel",
              num_replicas: 1,
              ray_actor_options: { num_cpus: 0.5, memory: 536870912 },
              user_config: { batching: "auto", max_batch_size: 8, batch_wait_timeout_s: 0.002 },
            },
          ],
        },
      ],
    });
    expect(JSON.stringify(first.applications)).toContain(JSON.stringify(other));
    await driver.scale(id, 3);
    const scaled = fake.puts.at(-1)!.applications as Array<Record<string, unknown>>;
    expect(JSON.stringify(scaled[0])).toBe(JSON.stringify(other));
    expect(JSON.stringify(scaled[1])).toContain('"num_replicas":3');
    expect(driver.status(id).replicas.filter((r) => r.state === "ready")).toHaveLength(3);
    expect(driver.endpoints(id)).toEqual([
      expect.objectContaining({
        origin: "http://ray-serve:8000",
        pathPrefix: `/kubeserve/${id}`,
        headers: { "x-kubeserve-token": `ksp_token-of-${id}` },
      }),
    ]);
    // An update to another version is the same merged PUT: the other application still byte-for-byte.
    await driver.apply(desired(3, 2));
    const updated = fake.puts.at(-1)!.applications as Array<Record<string, unknown>>;
    expect(JSON.stringify(updated[0])).toBe(JSON.stringify(other));
    expect(updated[1]).toMatchObject({
      name: `kubeserve-${id}`,
      args: { generation: 2, artifact_sha256: "ef".repeat(32) },
    });
    await driver.delete(id);
    expect(fake.puts.at(-1)!.applications).toEqual([other]);
    expect(JSON.stringify(fake.puts.at(-1)!.applications)).toBe(JSON.stringify([other]));
  });

  it("re-reads after every PUT and repairs ours when another writer's PUT removed it", async () => {
    // Another writer's PUT, built from a read taken before ours, lands right after ours.
    fake.afterNextPut(() => fake.drop(`kubeserve-${id}`));
    await driver.apply(desired());
    expect(fake.puts).toHaveLength(2);
    const repaired = fake.puts[1]!.applications as Array<Record<string, unknown>>;
    expect(JSON.stringify(repaired[0])).toBe(JSON.stringify(other));
    expect(repaired[1]).toMatchObject({ name: `kubeserve-${id}` });
    expect(fake.app(`kubeserve-${id}`)).toBeDefined();
  });

  it("DEPLOY_FAILED → failed with Ray's message", async () => {
    fake.failDeploy(`kubeserve-${id}`, "ModuleNotFoundError: No module named 'kubeserve_sklearn'");
    await driver.apply(desired());
    expect(driver.status(id)).toMatchObject({
      phase: "failed",
      reason: "Ray: ModuleNotFoundError: No module named 'kubeserve_sklearn'",
    });
    expect(driver.endpoints(id)).toEqual([]);
  });

  it("refuses to write when the cluster holds imperatively deployed applications", async () => {
    fake.addImperative("notebook");
    await expect(driver.apply(desired())).rejects.toThrow(/imperatively \(serve.run\).*notebook/);
    expect(fake.puts).toHaveLength(0);
    expect(driver.status(id).phase).toBe("failed");
    expect(driver.status(id).reason).toMatch(/would delete them/);
  });

  it("retries 500/503 and timeouts with backoff, then succeeds", async () => {
    fake.fail({ method: "PUT", status: 503, times: 1 });
    fake.fail({ method: "GET", status: 500, times: 1 });
    fake.fail({ method: "GET", delayMs: 500, times: 1 });
    await driver.apply(desired());
    expect(driver.status(id).phase).toBe("running");
  });

  it("refuses a route prefix someone else already holds, sending nothing", async () => {
    fake.addOther({ ...other, name: "squatter", route_prefix: `/kubeserve/${id}` });
    await expect(driver.apply(desired())).rejects.toThrow(/already used by application squatter/);
    expect(fake.puts).toHaveLength(0);
  });

  it("refuses when another application is routed under its prefix (it would get part of the traffic)", async () => {
    fake.addOther({ ...other, name: "shadow", route_prefix: `/kubeserve/${id}/v2` });
    await expect(driver.apply(desired())).rejects.toThrow(
      /shadow has route_prefix \/kubeserve\/.*\/v2 under/,
    );
    expect(fake.puts).toHaveLength(0);
    expect(driver.status(id).phase).toBe("failed");
  });

  it("a lost application is degraded, then re-applied by reconcile", async () => {
    await driver.apply(desired());
    fake.drop(`kubeserve-${id}`);
    await expect.poll(() => driver.status(id).phase).toBe("degraded");
    expect(driver.status(id).reason).toMatch(/gone from the Ray cluster/);
    await driver.reconcile([desired()]);
    await expect.poll(() => driver.status(id).phase).toBe("running");
    expect(JSON.stringify((fake.puts.at(-1)!.applications as unknown[])[0])).toBe(
      JSON.stringify(other),
    );
  });

  it("Ray unreachable: a clear failed reason after the bounded preflight, nothing sent", async () => {
    const closed = await startFakeRayDashboard();
    const url = closed.url;
    await closed.close();
    const lonely = start(url, "1");
    await expect(lonely.apply(desired())).rejects.toThrow(
      /did not accept a TCP connection within 1 s/,
    );
    expect(lonely.status(id)).toMatchObject({ phase: "failed" });
    await expect(lonely.checkReady()).rejects.toThrow(/TCP/);
    await lonely.close();
  });
});
