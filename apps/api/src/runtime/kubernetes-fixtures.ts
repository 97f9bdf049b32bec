import { createK8sApi, kubeConfigForServer, LABEL, MANAGED_BY } from "@kubeserve/k8s";
import { pino } from "pino";
import { toKubernetesConfig, ZKubernetesEnv } from "../config/kubernetes";
import type { TDesiredDeployment } from "./driver";
import { createKubernetesDriver, type TKubernetesTarget } from "./kubernetes-driver";
import { startFakeKubeApi, type TFakeKubeApi } from "./kubernetes-fake-api";

// The kubernetes driver pointed at a fresh fake API server, with ids and objects shaped as the real
// database and cluster make them. Shared by the driver's test files.

export const ids = {
  user: "0190a6f2-7c1e-7a3b-9c4d-5e6f7a8b9c0d",
  otherUser: "0190a6f2-7c1e-7a3b-9c4d-000000000002",
  model: "0190a6f2-8000-7000-8000-000000000001",
  version: "0190a6f2-8000-7000-8000-000000000002",
  version2: "0190a6f2-8000-7000-8000-000000000003",
  deployment: "0190a6f2-8000-7000-8000-0000000000d1",
  otherDeployment: "0190a6f2-8000-7000-8000-0000000000d2",
};

export const sha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
export const sha2 = "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752";
export const artifactToken = "kst_read_0123456789abcdef0123456789";
export const apiToken = "fake-apiserver-token";
export const replicaToken = "ksp_replica_0123456789abcdef0123";

export function desired(overrides: Partial<TDesiredDeployment> = {}): TDesiredDeployment {
  return {
    id: ids.deployment,
    name: "iris-prod",
    modelName: "iris",
    generation: 1,
    model: { uri: "s3://kubeserve-artifacts/iris.onnx", sha256: sha },
    replicas: 2,
    resources: {
      cpuRequest: "250m",
      memoryRequest: "256Mi",
      cpuLimit: "500m",
      memoryLimit: "512Mi",
    },
    runtimeOptions: { batching: "auto", maxBatchSize: 32, maxQueueDelayMs: 2 },
    ...overrides,
  };
}

export function target(overrides: Partial<TKubernetesTarget> = {}): TKubernetesTarget {
  return {
    userId: ids.user,
    modelId: ids.model,
    versionId: ids.version,
    versionTag: "v1",
    framework: "onnx",
    artifactUrl: `http://kubeserve-api.kubeserve.svc:4000/api/v1/runtime/artifacts/${ids.deployment}`,
    artifactToken,
    replicaToken,
    ...overrides,
  };
}

export type THarness = Awaited<ReturnType<typeof startHarness>>;

export async function startHarness(env: Record<string, string> = {}) {
  const fake: TFakeKubeApi = await startFakeKubeApi();
  const api = createK8sApi({
    kubeConfig: kubeConfigForServer({ server: fake.url, token: apiToken }),
  });
  const config = toKubernetesConfig(
    ZKubernetesEnv.parse({
      KUBERNETES_RETRY_BACKOFF_MS: "5",
      KUBERNETES_WATCH_BACKOFF_MS: "20",
      KUBERNETES_READY_TIMEOUT_SECONDS: "5",
      ...env,
    }),
  );
  const targets = new Map<string, TKubernetesTarget>();
  const driver = createKubernetesDriver({
    api,
    config,
    log: pino({ level: "silent" }),
    resolve: (d) => Promise.resolve(targets.get(d.id) ?? target()),
    ownerOf: (id) => Promise.resolve(targets.get(id)?.userId),
  });
  return {
    fake,
    driver,
    targets,
    close: async () => {
      await driver.close();
      await fake.close();
    },
  };
}

const now = "2026-12-02T06:00:00Z";

export function readyPodStatus() {
  return {
    phase: "Running",
    startTime: now,
    conditions: [
      { type: "PodScheduled", status: "True" },
      { type: "Ready", status: "True", lastTransitionTime: now },
    ],
    containerStatuses: [
      {
        name: "model-server",
        ready: true,
        restartCount: 0,
        image: "x",
        imageID: "",
        state: { running: {} },
      },
    ],
  };
}

export function waitingPodStatus(
  reason: string,
  message: string,
  extra: Record<string, unknown> = {},
) {
  return {
    phase: "Pending",
    startTime: now,
    conditions: [{ type: "Ready", status: "False", reason: "ContainersNotReady" }],
    containerStatuses: [
      {
        name: "model-server",
        ready: false,
        restartCount: 4,
        image: "x",
        imageID: "",
        state: { waiting: { reason, message } },
        ...extra,
      },
    ],
  };
}

/** A Pod as the ReplicaSet controller makes it (labels from the template), with the given status. */
export function podObject(
  namespace: string,
  podName: string,
  deploymentId: string,
  versionId: string,
  status: unknown,
) {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: podName,
      namespace,
      labels: {
        [LABEL.managedBy]: MANAGED_BY,
        [LABEL.component]: "model-server",
        [LABEL.deploymentId]: deploymentId,
        [LABEL.versionId]: versionId,
      },
    },
    spec: {},
    status,
  };
}

/** What the Deployment controller writes once `replicas` pods of the current template are available. */
export function markRolledOut(
  fake: TFakeKubeApi,
  namespace: string,
  name: string,
  replicas: number,
) {
  const deployment = fake.get("apps/v1", "Deployment", namespace, name);
  if (!deployment) throw new Error(`no Deployment ${namespace}/${name} to mark rolled out`);
  fake.put({
    ...deployment,
    status: {
      observedGeneration: deployment.metadata.generation,
      replicas,
      updatedReplicas: replicas,
      readyReplicas: replicas,
      availableReplicas: replicas,
      conditions: [{ type: "Available", status: "True", reason: "MinimumReplicasAvailable" }],
    },
  });
}
