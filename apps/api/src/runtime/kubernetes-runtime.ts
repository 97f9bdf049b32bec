import type { PrismaClient } from "@kubeserve/db";
import { createK8sApi, type K8sApi } from "@kubeserve/k8s/client";
import type { Logger } from "pino";
import type { TApiConfig } from "../config";
import { artifactReadToken, replicaAuthToken } from "../lib/artifact-read-token";
import type { TAutoscaling } from "../schemas/deployment";
import type { TRuntimeDriver } from "./driver";
import { createKubernetesDriver, type TKubernetesTarget } from "./kubernetes-driver";
import { KubernetesRuntimeError } from "./kubernetes-errors";

// Builds the kubernetes driver from the API's config (called by createDeps only when KUBERNETES_ENABLED):
// the cluster client, and what each deployment needs beyond TDesiredDeployment, read from the database.

/** A user's namespace quota as an admin set it: only the limits the ResourceQuota can hold. */
export type TTenantQuota = NonNullable<TKubernetesTarget["quota"]>;

export type TKubernetesRuntimeOptions = {
  db: PrismaClient;
  config: TApiConfig;
  log: Logger;
  /** A ready client (tests point one at the fake API server); default: from the config's credentials. */
  api?: K8sApi | undefined;
  /** The owner's quota override, if any (the quota service supplies it; none means the defaults). */
  quotaOf?: ((userId: string) => Promise<TTenantQuota | undefined>) | undefined;
};

export function createKubernetesRuntime(options: TKubernetesRuntimeOptions): TRuntimeDriver {
  const { db, config, log } = options;
  const k8s = config.kubernetes;
  const api =
    options.api ??
    createK8sApi({
      mode: k8s.configMode,
      ...(k8s.kubeconfigPath ? { kubeconfigPath: k8s.kubeconfigPath } : {}),
      ...(k8s.context ? { context: k8s.context } : {}),
    });
  const secret = config.auth.secret;
  return createKubernetesDriver({
    api,
    config: k8s,
    log: log.child({ runtime: "kubernetes" }),
    async resolve(desired): Promise<TKubernetesTarget> {
      const row = await db.deployment.findUnique({
        where: { id: desired.id },
        select: {
          ownerId: true,
          modelId: true,
          versionId: true,
          autoscaling: true,
          version: { select: { tag: true, framework: true } },
        },
      });
      if (!row) {
        throw new KubernetesRuntimeError(`deployment ${desired.id} is not in the database`, 404);
      }
      const autoscaling = row.autoscaling as TAutoscaling | null;
      const quota = await options.quotaOf?.(row.ownerId);
      return {
        userId: row.ownerId,
        modelId: row.modelId,
        versionId: row.versionId,
        versionTag: row.version.tag,
        framework: row.version.framework,
        // Pods fetch through the API with their deployment's read token: no bucket credential in a tenant namespace.
        artifactUrl: `${k8s.artifactOrigin}/api/v1/runtime/artifacts/${desired.id}`,
        artifactToken: artifactReadToken(secret, desired.id),
        replicaToken: replicaAuthToken(secret, desired.id),
        ...(quota ? { quota } : {}),
        ...(autoscaling
          ? {
              autoscaling: {
                // The HPA cannot scale to zero; a minimum of 0 becomes 1 on Kubernetes.
                minReplicas: Math.max(1, autoscaling.minReplicas),
                maxReplicas: autoscaling.maxReplicas,
              },
            }
          : {}),
      };
    },
    async ownerOf(deploymentId) {
      const row = await db.deployment.findUnique({
        where: { id: deploymentId },
        select: { ownerId: true },
      });
      return row?.ownerId;
    },
  });
}
