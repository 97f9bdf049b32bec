import type { PrismaClient } from "@kubeserve/db";
import type { Logger } from "pino";
import type { TApiConfig } from "../config";
import { replicaAuthToken, signArtifactUrl } from "../lib/artifact-read-token";
import { createRestBackend } from "./ray-backend";
import { createKubeRayBackend, createKubeRayClient } from "./ray-kuberay";
import { createRayLock } from "./ray-lock";
import { createServeApi } from "./ray-serve-api";
import { createRayDriver, type TRayDriver } from "./ray.driver";

// Builds the ray driver from the API's config (called by createDeps only when RUNTIMES_ENABLED has ray).

export function createRayRuntime(options: {
  db: PrismaClient;
  config: TApiConfig;
  log: Logger;
}): TRayDriver {
  const { config, log } = options;
  const ray = config.ray;
  const lock = createRayLock({
    db: options.db,
    isPostgres: Boolean(config.database.url),
    timeoutMs: ray.requestTimeoutMs * (ray.retryAttempts + 1) * 4,
  });
  const { kubernetes } = config;
  // KubeRay overwrites REST PUTs with the RayService's serveConfigV2, so there the RayService is written.
  const backend =
    ray.managedBy === "kuberay" && ray.rayService
      ? createKubeRayBackend({
          api: createKubeRayClient(
            {
              mode: kubernetes.configMode,
              ...(kubernetes.kubeconfigPath ? { kubeconfigPath: kubernetes.kubeconfigPath } : {}),
              ...(kubernetes.context ? { context: kubernetes.context } : {}),
            },
            ray.rayService,
          ),
          service: ray.rayService,
          lock,
          log,
        })
      : createRestBackend({
          api: createServeApi({
            dashboardUrl: ray.dashboardUrl,
            timeoutMs: ray.requestTimeoutMs,
            retryAttempts: ray.retryAttempts,
            retryBackoffMs: ray.retryBackoffMs,
          }),
          lock,
          log,
        });
  const origin = ray.artifactOrigin ?? `http://${config.host}:${config.port}`;
  return createRayDriver({
    config: ray,
    backend,
    log: log.child({ runtime: "ray" }),
    replicaToken: (deploymentId) => replicaAuthToken(config.auth.secret, deploymentId),
    artifactUrl: (desired) =>
      `${origin}/api/v1/runtime/artifacts/${desired.id}?${signArtifactUrl(config.auth.secret, desired.id, Date.now() + ray.artifactUrlTtlMs)}`,
  });
}
