import type { PrismaClient } from "@kubeserve/db";
import type { Logger } from "pino";
import type { TApiConfig } from "../config";
import { replicaAuthToken, signArtifactUrl } from "../lib/artifact-read-token";
import { createRestBackend } from "./ray-backend";
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
  if (ray.managedBy === "kuberay") {
    throw new Error(
      "RAY_MANAGED_BY=kuberay: the KubeRay backend is not built yet; use RAY_MANAGED_BY=rest on a cluster KubeRay does not manage",
    );
  }
  const api = createServeApi({
    dashboardUrl: ray.dashboardUrl,
    timeoutMs: ray.requestTimeoutMs,
    retryAttempts: ray.retryAttempts,
    retryBackoffMs: ray.retryBackoffMs,
  });
  const lock = createRayLock({
    db: options.db,
    isPostgres: Boolean(config.database.url),
    timeoutMs: ray.requestTimeoutMs * (ray.retryAttempts + 1) * 4,
  });
  const origin = ray.artifactOrigin ?? `http://${config.host}:${config.port}`;
  return createRayDriver({
    config: ray,
    backend: createRestBackend({ api, lock, log }),
    log: log.child({ runtime: "ray" }),
    replicaToken: (deploymentId) => replicaAuthToken(config.auth.secret, deploymentId),
    artifactUrl: (desired) =>
      `${origin}/api/v1/runtime/artifacts/${desired.id}?${signArtifactUrl(config.auth.secret, desired.id, Date.now() + ray.artifactUrlTtlMs)}`,
  });
}
