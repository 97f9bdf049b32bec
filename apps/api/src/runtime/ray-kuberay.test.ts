import { kubeConfigForServer } from "@kubeserve/k8s/client";
import { buildRayService } from "@kubeserve/k8s/ray";
import { loadRayServiceValidator, validateRayService } from "@kubeserve/k8s/testing";
import { pino } from "pino";
import { parse as parseYaml } from "yaml";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { resolveRayConfig, ZRayEnv } from "../config/ray";
import { startFakeKubeApi, type TFakeKubeApi } from "./kubernetes-fake-api";
import type { TObject } from "./kubernetes-fake-paths";
import { createKubeRayBackend, createKubeRayClient, type TKubeRayApi } from "./ray-kuberay";
import { createRayDriver, type TRayDriver } from "./ray.driver";
import { desiredRay } from "./ray-fixtures";

// The ray driver's KubeRay backend against the fake Kubernetes API server: server-side apply of
// spec.serveConfigV2 only, another team's applications kept byte for byte, every stored RayService
// validated against KubeRay's CRD schema, status from .status (the "operator" below writes it).
// Not run against a real KubeRay operator.

const id = "0190a6f2-8000-7000-8000-0000000000b2";
const ours = `kubeserve-${id}`;
const theirs = `# team fraud owns this; keep my comments
applications:
  - name: fraud   # the fraud model
    route_prefix: /fraud
    import_path: "fraud.serve:app"
    deployments:
      - {name: Fraud, num_replicas: 2}
`;

function desired(replicas = 1, generation = 1) {
  return desiredRay(id, {
    replicas,
    generation,
    sha256: generation === 1 ? "cd".repeat(32) : "ef".repeat(32),
    resources: { cpuRequest: "1", memoryLimit: "1Gi" },
    runtimeOptions: { batching: "on", maxBatchSize: 16, maxQueueDelayMs: 5 },
  });
}

let kube: TFakeKubeApi;
let driver: TRayDriver;
let operator: NodeJS.Timeout;
const failures = new Map<string, string>();

function stored(): TObject {
  return kube.get("ray.io/v1", "RayService", "ray", "team-ray")!;
}

/** What KubeRay does: reconcile the latest generation and report each application's status. */
function operate(): void {
  const service = kube.get("ray.io/v1", "RayService", "ray", "team-ray");
  if (!service) return;
  const generation = service.metadata.generation ?? 0;
  const status = service.status as { observedGeneration?: number } | undefined;
  if (status?.observedGeneration === generation) return;
  const spec = service.spec as { serveConfigV2?: string };
  const apps =
    (parseYaml(spec.serveConfigV2 ?? "") as { applications?: Array<{ name: string }> })
      .applications ?? [];
  const applicationStatuses = Object.fromEntries(
    apps.map((app) => [
      app.name,
      failures.has(app.name)
        ? { status: "DEPLOY_FAILED", message: failures.get(app.name) }
        : { status: "RUNNING", serveDeploymentStatuses: { KubeServeModel: { status: "HEALTHY" } } },
    ]),
  );
  kube.put({
    ...service,
    status: {
      observedGeneration: generation,
      serviceStatus: "Running",
      activeServiceStatus: { applicationStatuses },
    },
  });
}

function start(api: TKubeRayApi, serviceName = "team-ray"): TRayDriver {
  const config = resolveRayConfig(
    ZRayEnv.parse({
      RUNTIMES_ENABLED: "ray",
      // Never called under KubeRay; the preflight goes to the Serve proxy (any listening port here).
      RAY_DASHBOARD_URL: "http://127.0.0.1:1",
      RAY_SERVE_URL: kube.url,
      RAY_MANAGED_BY: "kuberay",
      RAY_SERVICE_NAME: serviceName,
      RAY_SERVICE_NAMESPACE: "ray",
      RAY_POLL_MS: "15",
      RAY_READY_TIMEOUT_SECONDS: "5",
    }),
  );
  const log = pino({ level: "silent" });
  return createRayDriver({
    config,
    backend: createKubeRayBackend({
      api,
      service: config.rayService!,
      lock: (work) => work(),
      log,
    }),
    log,
    artifactUrl: (d) => `http://api:4000/api/v1/runtime/artifacts/${d.id}?expires=1&signature=s`,
    replicaToken: (deploymentId) => `ksp_${deploymentId}`,
  });
}

const client = () =>
  createKubeRayClient(
    { kubeConfig: kubeConfigForServer({ server: kube.url }) },
    { name: "team-ray", namespace: "ray" },
  );

beforeAll(async () => {
  // The client loads these lazily, and compiling KubeRay's CRD schema takes seconds: both once, up front,
  // so neither stalls the driver's polling inside a test.
  await Promise.all([import("@kubeserve/k8s/client"), import("@kubeserve/k8s/apply")]);
  loadRayServiceValidator();
});

beforeEach(async () => {
  kube = await startFakeKubeApi();
  failures.clear();
  kube.put(
    buildRayService({
      name: "team-ray",
      namespace: "ray",
      rayVersion: "2.40.0",
      image: "rayproject/ray:2.40.0-py311",
      serveConfigV2: theirs,
    }) as unknown as TObject,
  );
  operator = setInterval(operate, 10);
  driver = start(client());
});
afterEach(async () => {
  clearInterval(operator);
  await driver.close();
  await kube.close();
});

const serveConfig = () => (stored().spec as { serveConfigV2: string }).serveConfigV2;
const applies = () => kube.requests.filter((r) => r.method === "PATCH");

describe("ray driver, KubeRay backend (RayService serveConfigV2)", () => {
  it("merges only its application by server-side apply, keeps the other team's text, runs from .status", async () => {
    const cluster = JSON.stringify(
      (stored().spec as { rayClusterConfig: unknown }).rayClusterConfig,
    );
    await driver.apply(desired());
    expect(driver.status(id).phase).toBe("running");
    expect(serveConfig().startsWith(theirs)).toBe(true);
    const apps = (parseYaml(serveConfig()) as { applications: Array<Record<string, unknown>> })
      .applications;
    expect(apps.map((a) => a.name)).toEqual(["fraud", ours]);
    expect(apps[1]).toMatchObject({
      route_prefix: `/kubeserve/${id}`,
      import_path: "kubeserve_sklearn.ray_entry:app",
      deployments: [
        {
          name: "KubeServeModel",
          num_replicas: 1,
          ray_actor_options: { num_cpus: 1, memory: 1073741824 },
          user_config: { batching: "on", max_batch_size: 16, batch_wait_timeout_s: 0.005 },
        },
      ],
    });
    // Only spec.serveConfigV2 is applied (KubeServe owns no other field), locked to the version merged from.
    const [patch] = applies();
    expect(patch!.contentType).toBe("application/apply-patch+yaml");
    expect(patch!.query.get("fieldManager")).toBe("kubeserve");
    expect(patch!.query.get("force")).toBe("true");
    const body = parseYaml(patch!.body) as { metadata: Record<string, unknown>; spec: object };
    expect(Object.keys(body.spec)).toEqual(["serveConfigV2"]);
    expect(body.metadata.resourceVersion).toMatch(/^\d+$/);
    expect(JSON.stringify((stored().spec as { rayClusterConfig: unknown }).rayClusterConfig)).toBe(
      cluster,
    );
    validateRayService(stored());

    await driver.scale(id, 3);
    expect(serveConfig()).toContain("num_replicas: 3");
    expect(serveConfig().startsWith(theirs)).toBe(true);
    validateRayService(stored());
    await driver.delete(id);
    expect(serveConfig()).toBe(theirs);
    validateRayService(stored());
  });

  it("another writer between read and apply: the stale resourceVersion gets 409 and the merge is redone", async () => {
    const real = client();
    let isRaced = false;
    const racing: TKubeRayApi = {
      async read() {
        const found = await real.read();
        if (!isRaced && found) {
          isRaced = true;
          // Team fraud scales up right after our read (a kubectl apply of their own).
          const service = stored();
          const spec = service.spec as { serveConfigV2: string };
          kube.put({
            ...service,
            spec: {
              ...spec,
              serveConfigV2: spec.serveConfigV2.replace("num_replicas: 2", "num_replicas: 5"),
            },
          });
        }
        return found;
      },
      apply: (patch) => real.apply(patch),
    };
    await driver.close();
    driver = start(racing);
    await driver.apply(desired());
    expect(applies().map((r) => r.query.get("fieldManager"))).toEqual(["kubeserve", "kubeserve"]);
    expect(serveConfig()).toContain("{name: Fraud, num_replicas: 5}");
    expect(serveConfig()).toContain(ours);
    expect(driver.status(id).phase).toBe("running");
  });

  it("refuses, applying nothing, when another application is routed under its prefix", async () => {
    const service = stored();
    const spec = service.spec as { serveConfigV2: string };
    kube.put({
      ...service,
      spec: {
        ...spec,
        serveConfigV2: `${spec.serveConfigV2}  - {name: shadow, route_prefix: /kubeserve/${id}/v1, import_path: "x.y:app"}\n`,
      },
    });
    await expect(driver.apply(desired())).rejects.toThrow(/shadow has route_prefix/);
    expect(applies()).toHaveLength(0);
  });

  it("DEPLOY_FAILED in .status → failed with KubeRay's message", async () => {
    failures.set(ours, "RuntimeError: onnxruntime missing");
    await driver.apply(desired());
    expect(driver.status(id)).toMatchObject({
      phase: "failed",
      reason: "Ray: RuntimeError: onnxruntime missing",
    });
  });

  it("a status KubeRay has not reconciled yet is not taken for ours", async () => {
    clearInterval(operator);
    await driver.apply({ ...desired() }).catch(() => undefined);
    const status = driver.status(id);
    expect(status.phase).toBe("starting");
    expect(status.reason).toMatch(/KubeRay has not yet reconciled/);
  });

  it("a missing RayService fails the deployment with a reason naming it; nothing is applied", async () => {
    await driver.close();
    driver = createRayDriverFor("absent-ray");
    await expect(driver.apply(desired())).rejects.toThrow(
      /RayService ray\/absent-ray does not exist/,
    );
    expect(driver.status(id).phase).toBe("failed");
    expect(applies()).toHaveLength(0);
  });
});

function createRayDriverFor(name: string): TRayDriver {
  return start(
    createKubeRayClient(
      { kubeConfig: kubeConfigForServer({ server: kube.url }) },
      { name, namespace: "ray" },
    ),
    name,
  );
}
