import {
  artifactTokenSecretName,
  checkQuotaFit,
  deleteObject,
  deploymentQuotaRequest,
  deploymentSelector,
  TENANT_QUOTA_NAME,
  type K8sApi,
  type TModelDeploymentSpecInput,
  type TQuotaAmounts,
} from "@kubeserve/k8s";
import type { TKubernetesConfig } from "../config/kubernetes";
import type { TDesiredDeployment, TResources } from "./driver";
import {
  KubernetesRuntimeError,
  orMissing,
  statusCodeOf,
  withRetry,
  type TRetryPolicy,
} from "./kubernetes-errors";

// The kubernetes driver's pieces that talk about objects, not state: the builder spec for a desired
// deployment, the quota pre-flight and removal by label.

export type TObjectsContext = { api: K8sApi; policy: TRetryPolicy; config: TKubernetesConfig };

/** What the driver needs beyond TDesiredDeployment, looked up by the caller (the database). */
export type TKubernetesTarget = {
  userId: string;
  modelId: string;
  versionId: string;
  versionTag: string;
  framework: "onnx" | "sklearn";
  /** In-cluster URL the init container fetches the artifact from (the per-deployment artifact route). */
  artifactUrl: string;
  /** The per-deployment read token; only ever written into the deployment's own Secret. */
  artifactToken: string;
  /** The token the model server requires from the gateway; also only in that Secret. */
  replicaToken: string;
  /** The owner's namespace quota when an admin set one (else the builders' defaults). */
  quota?:
    | { cpu?: string | undefined; memory?: string | undefined; pods?: number | undefined }
    | undefined;
  autoscaling?: { minReplicas: number; maxReplicas: number } | undefined;
};

export const REPLICA_TOKEN_SECRET_KEY = "replica-token";

const deploymentKinds = [
  ["apps/v1", "Deployment"],
  ["v1", "Service"],
  ["autoscaling/v2", "HorizontalPodAutoscaler"],
  ["policy/v1", "PodDisruptionBudget"],
  ["monitoring.coreos.com/v1", "ServiceMonitor"],
  ["gateway.networking.k8s.io/v1", "HTTPRoute"],
] as const;

/** Requests default to the limits (and the other way round), then to the builders' defaults. */
export function resourcesFor(r: TResources) {
  const cpu = r.cpuRequest ?? r.cpuLimit ?? "250m";
  const memory = r.memoryRequest ?? r.memoryLimit ?? "512Mi";
  return {
    requests: { cpu, memory },
    limits: {
      cpu: r.cpuLimit ?? (r.cpuRequest ? cpu : "1"),
      memory: r.memoryLimit ?? (r.memoryRequest ? memory : "1Gi"),
    },
  };
}

export function specFor(
  config: TKubernetesConfig,
  desired: TDesiredDeployment,
  target: TKubernetesTarget,
): TModelDeploymentSpecInput {
  const isRunning = desired.replicas > 0;
  return {
    deploymentId: desired.id,
    userId: target.userId,
    modelId: target.modelId,
    versionId: target.versionId,
    deploymentName: desired.name,
    modelName: desired.modelName,
    versionTag: target.versionTag,
    framework: target.framework,
    platform: { namespace: config.platformNamespace, apiServiceName: config.apiServiceName },
    images: { onnx: config.images.onnx, sklearn: config.images.sklearn },
    artifact: {
      url: target.artifactUrl,
      sha256: desired.model.sha256,
      tokenSecretName: artifactTokenSecretName(desired.id),
      replicaTokenSecretKey: REPLICA_TOKEN_SECRET_KEY,
    },
    replicas: desired.replicas,
    resources: resourcesFor(desired.resources),
    ...(target.autoscaling && isRunning ? { autoscaling: target.autoscaling } : {}),
    batching: {
      mode: desired.runtimeOptions.batching,
      maxBatchSize: desired.runtimeOptions.maxBatchSize,
      maxQueueDelayMs: desired.runtimeOptions.maxQueueDelayMs,
    },
  };
}

/** Refuses, before anything is applied, a deploy whose extra pods the namespace quota cannot hold. */
export async function checkQuota(
  { api, policy }: TObjectsContext,
  input: TModelDeploymentSpecInput,
  namespace: string,
  name: string,
) {
  const existing = await withRetry(`read Deployment ${namespace}/${name}`, policy, () =>
    orMissing(() => api.apps.readNamespacedDeployment({ name, namespace })),
  );
  const wanted = input.replicas === 0 ? 0 : (input.autoscaling?.minReplicas ?? input.replicas ?? 1);
  const current = existing?.spec?.replicas ?? 0;
  const sha = existing?.spec?.template.metadata?.annotations?.["kubeserve.io/artifact-sha256"];
  const isNewTemplate = existing !== undefined && sha !== input.artifact.sha256;
  const extraPods = Math.max(0, wanted - current) + (isNewTemplate && wanted > 0 ? 1 : 0);
  if (extraPods === 0) return;
  const quota = await withRetry(
    `read ResourceQuota ${namespace}/${TENANT_QUOTA_NAME}`,
    policy,
    () =>
      orMissing(() => api.core.readNamespacedResourceQuota({ name: TENANT_QUOTA_NAME, namespace })),
  );
  if (!quota) return;
  const perPod = deploymentQuotaRequest(
    { ...input, replicas: 1, autoscaling: undefined },
    "create",
  );
  const request: TQuotaAmounts = {};
  for (const [key, value] of Object.entries(perPod) as Array<
    [keyof typeof perPod, string | number]
  >) {
    request[key] =
      key === "pods" ? extraPods : `${Number(String(value).replace(/m$/, "")) * extraPods}m`;
  }
  const hard = (quota.status?.hard ?? quota.spec?.hard ?? {}) as TQuotaAmounts;
  const fit = checkQuotaFit(hard, (quota.status?.used ?? {}) as TQuotaAmounts, request);
  if (!fit.isFit) {
    throw new KubernetesRuntimeError(
      `QuotaExceeded: deployment ${input.deploymentName} ${fit.message}`,
      undefined,
    );
  }
}

export async function deleteByLabel(
  { api, policy, config }: TObjectsContext,
  deploymentId: string,
  namespace: string,
): Promise<void> {
  const selector = deploymentSelector(deploymentId);
  const scopes: Array<[string, string, string]> = [
    ...deploymentKinds.map(([v, k]) => [v, k, namespace] as [string, string, string]),
    ["networking.k8s.io/v1", "Ingress", config.platformNamespace],
  ];
  for (const [apiVersion, kind, ns] of scopes) {
    const listed = await withRetry(`list ${kind} in ${ns}`, policy, async () => {
      try {
        return await api.objects.list(
          apiVersion,
          kind,
          ns,
          undefined,
          undefined,
          undefined,
          undefined,
          selector,
        );
      } catch (error) {
        // A kind whose CRD is not installed (no ServiceMonitor, no Gateway API) has nothing to delete.
        if (statusCodeOf(error) === 404 || /resource .* not found/i.test(String(error)))
          return undefined;
        throw error;
      }
    });
    for (const item of listed?.items ?? []) {
      const name = item.metadata?.name ?? "";
      await withRetry(`delete ${kind} ${ns}/${name}`, policy, () =>
        deleteObject(api, { apiVersion, kind, namespace: ns, name }),
      );
    }
  }
  // Secrets are never listed (RBAC grants no list): the token Secret is deleted by its name.
  const name = artifactTokenSecretName(deploymentId);
  await withRetry(`delete Secret ${namespace}/${name}`, policy, () =>
    deleteObject(api, { apiVersion: "v1", kind: "Secret", namespace, name }),
  );
}
