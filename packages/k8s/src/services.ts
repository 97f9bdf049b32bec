import type { IServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor";
import type { IHorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import type { IPodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import type { ISecret } from "kubernetes-models/v1/Secret";
import type { IService } from "kubernetes-models/v1/Service";
import { podSelectorLabels } from "./labels";
import { deploymentResourceName } from "./names";
import { parseModelDeploymentSpec, type TModelDeploymentSpecInput } from "./spec";
import { MODEL_SERVER_PORT } from "./tenant";
import { metadataFor } from "./workload";

// The objects around a model Deployment: its ClusterIP Service (reached only by the gateway and
// monitoring), HPA, PDB, ServiceMonitor and the Secret holding its artifact read token.

export const MODEL_SERVICE_PORT_NAME = "http";

/** ClusterIP only: a model Service is never exposed outside the cluster, and routes never target it. */
export function buildModelService(input: TModelDeploymentSpecInput): IService {
  const spec = parseModelDeploymentSpec(input);
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: metadataFor(spec),
    spec: {
      type: "ClusterIP",
      selector: podSelectorLabels(spec.deploymentId),
      ports: [
        {
          name: MODEL_SERVICE_PORT_NAME,
          port: MODEL_SERVER_PORT,
          targetPort: "http",
          protocol: "TCP",
        },
      ],
    },
  };
}

/** Undefined when the deployment has no autoscaling or is stopped (an HPA would scale it back up). */
export function buildModelHpa(
  input: TModelDeploymentSpecInput,
): IHorizontalPodAutoscaler | undefined {
  const spec = parseModelDeploymentSpec(input);
  const auto = spec.autoscaling;
  if (!auto || spec.replicas === 0) return undefined;
  const name = deploymentResourceName(spec.deploymentId);
  return {
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    metadata: metadataFor(spec),
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name },
      minReplicas: auto.minReplicas,
      maxReplicas: auto.maxReplicas,
      metrics: [
        {
          type: "Resource",
          resource: {
            name: "cpu",
            target: { type: "Utilization", averageUtilization: auto.targetCpuUtilization },
          },
        },
        {
          type: "Resource",
          resource: {
            name: "memory",
            target: { type: "Utilization", averageUtilization: auto.targetMemoryUtilization },
          },
        },
      ],
    },
  };
}

/** The fewest pods the deployment runs with: what decides whether a PDB makes sense. */
export function minimumReplicas(input: TModelDeploymentSpecInput): number {
  const spec = parseModelDeploymentSpec(input);
  if (spec.replicas === 0) return 0;
  return spec.autoscaling ? spec.autoscaling.minReplicas : spec.replicas;
}

/** Only with more than one replica: a PDB on a single pod would block every node drain. */
export function buildModelPdb(input: TModelDeploymentSpecInput): IPodDisruptionBudget | undefined {
  const spec = parseModelDeploymentSpec(input);
  if (minimumReplicas(spec) <= 1) return undefined;
  return {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: metadataFor(spec),
    spec: {
      maxUnavailable: 1,
      selector: { matchLabels: podSelectorLabels(spec.deploymentId) },
    },
  };
}

export function buildModelServiceMonitor(
  input: TModelDeploymentSpecInput,
): IServiceMonitor | undefined {
  const spec = parseModelDeploymentSpec(input);
  if (!spec.monitoring.serviceMonitor) return undefined;
  const meta = metadataFor(spec);
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "ServiceMonitor",
    metadata: { ...meta, labels: { ...meta.labels, ...spec.monitoring.labels } },
    spec: {
      selector: { matchLabels: podSelectorLabels(spec.deploymentId) },
      endpoints: [
        {
          port: MODEL_SERVICE_PORT_NAME,
          path: "/metrics",
          interval: spec.monitoring.interval,
          // The model server already labels every series with model, version and deployment.
          honorLabels: true,
        },
      ],
    },
  };
}

/**
 * The per-deployment artifact read token (env of the fetch init containers only) and, when the spec
 * names its key, the replica token the model server requires (env of the server container only).
 */
export function buildArtifactTokenSecret(
  input: TModelDeploymentSpecInput,
  token: string,
  replicaToken?: string,
): ISecret {
  const spec = parseModelDeploymentSpec(input);
  if (!/^[\x21-\x7e]{16,4096}$/.test(token)) {
    throw new Error("artifact read token must be 16–4096 printable ASCII characters");
  }
  const replicaKey = spec.artifact.replicaTokenSecretKey;
  if (replicaKey !== undefined && !/^[\x21-\x7e]{16,4096}$/.test(replicaToken ?? "")) {
    throw new Error("replica token must be 16–4096 printable ASCII characters");
  }
  const base64 = (value: string) => Buffer.from(value, "utf8").toString("base64");
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: metadataFor(spec, spec.artifact.tokenSecretName),
    type: "Opaque",
    immutable: false,
    data: {
      [spec.artifact.tokenSecretKey]: base64(token),
      ...(replicaKey !== undefined ? { [replicaKey]: base64(replicaToken ?? "") } : {}),
    },
  };
}
