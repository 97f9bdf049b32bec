import type { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import type { IContainer } from "kubernetes-models/v1/Container";
import type { IEnvVar } from "kubernetes-models/v1/EnvVar";
import type { IPodSpec } from "kubernetes-models/v1/PodSpec";
import type { IProbe } from "kubernetes-models/v1/Probe";
import type { ISecurityContext } from "kubernetes-models/v1/SecurityContext";
import type { IVolume } from "kubernetes-models/v1/Volume";
import { ANNOTATION, deploymentLabels, podSelectorLabels, type TLabels } from "./labels";
import { deploymentResourceName, namespaceForUser } from "./names";
import { toMilli } from "./quantity";
import {
  parseModelDeploymentSpec,
  type TModelDeploymentSpec,
  type TModelDeploymentSpecInput,
} from "./spec";
import { MODEL_SERVER_PORT } from "./tenant";

// The model Deployment: init containers fetch (and verify) the artifact with the per-deployment read
// token, the main container serves it read-only. Hardened to the "restricted" Pod Security profile.

export const RUNTIME_UID = 10001;
export const MODELS_DIR = "/models";
export const VENV_DIR = "/opt/kubeserve/venv";
export const MODEL_TOKEN_ENV = "KUBESERVE_MODEL_TOKEN";
export const REPLICA_TOKEN_ENV = "KUBESERVE_AUTH_TOKEN";
export const LIVENESS_PATH = "/v2/health/live";
export const READINESS_PATH = "/v2/health/ready";

export type TFramework = TModelDeploymentSpec["framework"];
export type TRuntimeImages = TModelDeploymentSpec["images"];

/** The serving image for a version's framework: our ONNX server or the scikit-learn runtime. */
export function runtimeImageFor(
  version: { framework: TFramework },
  images: Pick<TRuntimeImages, "onnx" | "sklearn">,
): string {
  return version.framework === "sklearn" ? images.sklearn : images.onnx;
}

/** Where the artifact lands inside the pod. */
export function modelFilePath(spec: TModelDeploymentSpec): string {
  const fallback = spec.framework === "sklearn" ? "model.joblib" : "model.onnx";
  return `${MODELS_DIR}/${spec.artifact.fileName ?? fallback}`;
}

/** Labels of one deployment's objects, from its spec. */
export function labelsFor(spec: TModelDeploymentSpec): TLabels {
  return deploymentLabels({
    userId: spec.userId,
    modelId: spec.modelId,
    versionId: spec.versionId,
    deploymentId: spec.deploymentId,
    modelName: spec.modelName,
    versionTag: spec.versionTag,
    instance: deploymentResourceName(spec.deploymentId),
  });
}

export function metadataFor(
  spec: TModelDeploymentSpec,
  name = deploymentResourceName(spec.deploymentId),
) {
  return {
    name,
    namespace: namespaceForUser(spec.userId),
    labels: labelsFor(spec),
    annotations: {
      [ANNOTATION.deploymentName]: spec.deploymentName,
      [ANNOTATION.modelName]: spec.modelName,
    },
  };
}

const containerSecurity: ISecurityContext = {
  runAsNonRoot: true,
  runAsUser: RUNTIME_UID,
  runAsGroup: RUNTIME_UID,
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  privileged: false,
  capabilities: { drop: ["ALL"] },
  seccompProfile: { type: "RuntimeDefault" },
};

function fetchCommand(
  spec: TModelDeploymentSpec,
  url: string,
  sha256: string,
  out: string,
): string[] {
  const args = ["fetch", "--url", url, "--sha256", sha256, "--out", out];
  return spec.framework === "sklearn"
    ? ["python3", "-m", "kubeserve_sklearn", ...args]
    : ["kubeserve-inference", ...args];
}

function tokenEnv(spec: TModelDeploymentSpec): IEnvVar {
  return {
    name: MODEL_TOKEN_ENV,
    valueFrom: {
      secretKeyRef: { name: spec.artifact.tokenSecretName, key: spec.artifact.tokenSecretKey },
    },
  };
}

function serverEnv(spec: TModelDeploymentSpec): IEnvVar[] {
  const { batching } = spec;
  const values: Record<string, string | number | undefined> = {
    KUBESERVE_MODEL: modelFilePath(spec),
    KUBESERVE_MODEL_NAME: spec.modelName,
    KUBESERVE_MODEL_VERSION: spec.versionTag,
    KUBESERVE_MODEL_SHA256: spec.artifact.sha256,
    KUBESERVE_DEPLOYMENT: spec.deploymentId,
    KUBESERVE_HOST: "0.0.0.0",
    KUBESERVE_PORT: MODEL_SERVER_PORT,
    KUBESERVE_BATCHING: batching.mode,
    KUBESERVE_MAX_BATCH_SIZE: batching.maxBatchSize,
    KUBESERVE_MAX_QUEUE_DELAY_MS: batching.maxQueueDelayMs,
    KUBESERVE_MAX_QUEUE_SIZE: batching.maxQueueSize,
    KUBESERVE_MAX_QUEUE_BYTES: batching.maxQueueBytes,
    KUBESERVE_LOG_LEVEL: spec.logLevel,
    KUBESERVE_MODEL_CACHE_DIR: "/tmp/model-cache",
    // ONNX Runtime gets one intra-op thread per whole core of the CPU limit.
    KUBESERVE_INTRA_OP_THREADS:
      spec.framework === "onnx"
        ? Math.max(1, Math.floor(toMilli(spec.resources.limits.cpu) / 1000))
        : undefined,
  };
  const env: IEnvVar[] = Object.entries(values)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
    .map(([name, value]) => ({ name, value: String(value) }));
  const key = spec.artifact.replicaTokenSecretKey;
  if (key === undefined) return env;
  // The gateway's token, from the Secret; kubelet probes carry no token, so the health paths stay open.
  return [
    ...env,
    {
      name: REPLICA_TOKEN_ENV,
      valueFrom: { secretKeyRef: { name: spec.artifact.tokenSecretName, key } },
    },
    { name: "KUBESERVE_PUBLIC_HEALTH", value: "true" },
  ];
}

function httpProbe(path: string, periodSeconds: number, failureThreshold: number): IProbe {
  return {
    httpGet: { path, port: "http", scheme: "HTTP" },
    periodSeconds,
    timeoutSeconds: 2,
    failureThreshold,
  };
}

function resourcesFor(spec: TModelDeploymentSpec) {
  const { requests, limits } = spec.resources;
  return {
    requests: { cpu: requests.cpu, memory: requests.memory },
    limits: { cpu: limits.cpu, memory: limits.memory },
  };
}

function initContainers(spec: TModelDeploymentSpec, image: string): IContainer[] {
  const pullPolicy = spec.images.pullPolicy;
  const common = {
    image,
    imagePullPolicy: pullPolicy,
    // Same requests as the server, so the pod's effective request (and the quota check) is the server's.
    resources: resourcesFor(spec),
    securityContext: containerSecurity,
  };
  const mounts = [
    { name: "models", mountPath: MODELS_DIR },
    { name: "tmp", mountPath: "/tmp" },
  ];
  const containers: IContainer[] = [
    {
      name: "fetch-model",
      ...common,
      command: fetchCommand(spec, spec.artifact.url, spec.artifact.sha256, modelFilePath(spec)),
      env: [tokenEnv(spec)],
      volumeMounts: mounts,
    },
  ];
  const requirements = spec.requirements;
  if (requirements) {
    const file = `${MODELS_DIR}/requirements.txt`;
    containers.push(
      {
        name: "fetch-requirements",
        ...common,
        command: fetchCommand(spec, requirements.url, requirements.sha256, file),
        env: [tokenEnv(spec)],
        volumeMounts: mounts,
      },
      {
        name: "install-requirements",
        ...common,
        command: [
          "python3",
          "-m",
          "kubeserve_sklearn.venv",
          "--requirements",
          file,
          "--target",
          VENV_DIR,
        ],
        env: [
          { name: "HOME", value: "/tmp" },
          { name: "PIP_NO_CACHE_DIR", value: "1" },
          ...(requirements.packageIndexUrl
            ? [{ name: "PIP_INDEX_URL", value: requirements.packageIndexUrl }]
            : []),
        ],
        volumeMounts: [...mounts, { name: "venv", mountPath: VENV_DIR }],
      },
    );
  }
  return containers;
}

function mainContainer(spec: TModelDeploymentSpec, image: string): IContainer {
  const hasVenv = spec.requirements !== undefined;
  return {
    name: "model-server",
    image,
    imagePullPolicy: spec.images.pullPolicy,
    // With a requirements layer, the venv's interpreter (layered on the image's packages) runs the server.
    ...(hasVenv ? { command: [`${VENV_DIR}/bin/python3`, "-m", "kubeserve_sklearn"] } : {}),
    ports: [{ name: "http", containerPort: MODEL_SERVER_PORT, protocol: "TCP" }],
    env: serverEnv(spec),
    resources: resourcesFor(spec),
    startupProbe: httpProbe(LIVENESS_PATH, 2, 60),
    livenessProbe: httpProbe(LIVENESS_PATH, 10, 3),
    readinessProbe: httpProbe(READINESS_PATH, 5, 2),
    securityContext: containerSecurity,
    volumeMounts: [
      { name: "models", mountPath: MODELS_DIR, readOnly: true },
      { name: "tmp", mountPath: "/tmp" },
      ...(hasVenv ? [{ name: "venv", mountPath: VENV_DIR, readOnly: true }] : []),
    ],
  };
}

function volumes(spec: TModelDeploymentSpec): IVolume[] {
  return [
    { name: "models", emptyDir: { sizeLimit: spec.artifact.volumeSizeLimit } },
    { name: "tmp", emptyDir: { sizeLimit: "512Mi" } },
    ...(spec.requirements ? [{ name: "venv", emptyDir: { sizeLimit: "2Gi" } }] : []),
  ];
}

export function buildModelPodSpec(spec: TModelDeploymentSpec): IPodSpec {
  const image = runtimeImageFor(spec, spec.images);
  return {
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    terminationGracePeriodSeconds: 30,
    securityContext: {
      runAsNonRoot: true,
      runAsUser: RUNTIME_UID,
      runAsGroup: RUNTIME_UID,
      fsGroup: RUNTIME_UID,
      seccompProfile: { type: "RuntimeDefault" },
    },
    ...(spec.images.pullSecrets.length
      ? { imagePullSecrets: spec.images.pullSecrets.map((name) => ({ name })) }
      : {}),
    initContainers: initContainers(spec, image),
    containers: [mainContainer(spec, image)],
    volumes: volumes(spec),
  };
}

/**
 * With autoscaling on and the deployment running, `replicas` is left out so the HPA alone owns it
 * (an applied value would reset the HPA's choice on every apply).
 */
export function buildModelDeployment(input: TModelDeploymentSpecInput): IDeployment {
  const spec = parseModelDeploymentSpec(input);
  const isHpaOwned = spec.autoscaling !== undefined && spec.replicas > 0;
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: metadataFor(spec),
    spec: {
      ...(isHpaOwned ? {} : { replicas: spec.replicas }),
      selector: { matchLabels: podSelectorLabels(spec.deploymentId) },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      revisionHistoryLimit: 3,
      progressDeadlineSeconds: 600,
      template: {
        metadata: {
          labels: labelsFor(spec),
          annotations: { [ANNOTATION.artifactSha256]: spec.artifact.sha256 },
        },
        spec: buildModelPodSpec(spec),
      },
    },
  };
}
