import { createHash } from "node:crypto";
import { rayApplicationName, rayRoutePrefix } from "@kubeserve/k8s/names";
import type { Logger } from "pino";
import type { TRayConfig } from "../config/ray";
import type { TDesiredDeployment, TEndpoint, TRuntimeDriver, TRuntimeStatus } from "./driver";
import {
  buildRayApplication,
  isSameApplication,
  mapRayStatus,
  type TRayObserved,
} from "./ray-apps";
import { type TRayBackend, waitForTcp } from "./ray-backend";
import { createSettleWaiters } from "./settle-waiters";

// The `ray` runtime: each deployment is one Ray Serve application `kubeserve-<id>` on an existing Ray
// cluster, written through a backend (Serve REST API, or a KubeRay RayService) that keeps everyone
// else's applications. Status comes from polling the same backend. No Python Ray client in the API.

export type TRayDriverOptions = {
  config: TRayConfig;
  backend: TRayBackend;
  log: Logger;
  /** A short-lived signed URL the replicas fetch the artifact from (see artifact-read-token). */
  artifactUrl: (desired: TDesiredDeployment) => string;
  /** The token the entry module requires in X-KubeServe-Token (Ray's proxy authenticates no one). */
  replicaToken: (deploymentId: string) => string;
};

/** Ray's proxy passes request headers through to the replica, which checks this one. */
export const RAY_TOKEN_HEADER = "x-kubeserve-token";

export type TRayDriver = TRuntimeDriver & {
  /** /readyz: Ray's dashboard answered the preflight (optional check: other runtimes keep serving). */
  checkReady(): Promise<void>;
};

type TEntry = { desired: TDesiredDeployment; observed: TRayObserved; lastKey: string };

export function createRayDriver(options: TRayDriverOptions): TRayDriver {
  const { config, backend, log } = options;
  const tokenSha256 = (deploymentId: string) =>
    createHash("sha256").update(options.replicaToken(deploymentId)).digest("hex");
  const entries = new Map<string, TEntry>();
  const listeners = new Set<(status: TRuntimeStatus) => void>();
  // Past the deadline the deployment stays `starting` with Ray's message; polling keeps reporting.
  const waiters = createSettleWaiters(config.readyTimeoutMs);
  let isClosed = false;
  let preflightError: Error | undefined;
  // Bounded, and in the background: the API serves the other runtimes whether or not Ray comes. Under
  // KubeRay the API never calls the dashboard (it writes the RayService), only the Serve proxy.
  const preflightUrl = config.managedBy === "kuberay" ? config.serveUrl : config.dashboardUrl;
  const preflight = waitForTcp(
    preflightUrl,
    config.preflightMs,
    1000,
    config.managedBy === "kuberay" ? "Ray's Serve proxy" : "Ray's dashboard",
  ).then(
    () => log.info({ ray: preflightUrl }, "Ray reachable"),
    (error: unknown) => {
      preflightError = error as Error;
      log.warn({ err: error }, "Ray not reachable; ray deployments will fail until it is");
    },
  );

  function publish(entry: TEntry): void {
    const status = mapRayStatus(entry.observed);
    const key = JSON.stringify(status);
    if (key !== entry.lastKey) {
      entry.lastKey = key;
      for (const listener of listeners) listener(status);
    }
    const isSettled =
      !entry.observed.isApplying &&
      ["running", "failed", "stopped", "degraded"].includes(status.phase);
    if (isSettled) waiters.wake(entry.desired.id);
  }

  async function poll(): Promise<void> {
    if (!entries.size) return;
    try {
      const details = await backend.read();
      for (const entry of entries.values()) {
        entry.observed.unreachable = undefined;
        entry.observed.app = details.applications[rayApplicationName(entry.desired.id)];
        publish(entry);
      }
    } catch (error) {
      for (const entry of entries.values()) {
        entry.observed.unreachable = `Ray is not answering: ${(error as Error).message}`;
        publish(entry);
      }
    }
  }

  let isPolling = false;
  const timer = setInterval(() => {
    if (isPolling) return;
    isPolling = true;
    void poll().finally(() => (isPolling = false));
  }, config.pollMs);
  timer.unref();

  function track(desired: TDesiredDeployment, isExpected: boolean): TEntry {
    const existing = entries.get(desired.id);
    const entry: TEntry = {
      desired,
      lastKey: existing?.lastKey ?? "",
      observed: {
        deploymentId: desired.id,
        generation: desired.generation,
        desiredReplicas: isExpected ? desired.replicas : 0,
        isApplying: true,
        failure: undefined,
        unreachable: undefined,
        app: existing?.observed.app,
        isExpected,
      },
    };
    entries.set(desired.id, entry);
    return entry;
  }

  function waitSettled(entry: TEntry): Promise<void> {
    const settled = waiters.wait(entry.desired.id);
    publish(entry);
    return settled;
  }

  async function converge(
    desired: TDesiredDeployment,
    isExpected: boolean,
    isWaiting = true,
  ): Promise<void> {
    const entry = track(desired, isExpected);
    publish(entry);
    try {
      await preflight;
      if (preflightError) throw preflightError;
      const change =
        isExpected && desired.replicas > 0
          ? {
              upsert: [
                buildRayApplication(
                  config,
                  desired,
                  options.artifactUrl(desired),
                  tokenSha256(desired.id),
                ),
              ],
            }
          : { remove: [desired.id] };
      if (!isExpected || desired.replicas === 0) entry.observed.isExpected = false;
      await backend.write(change);
      entry.observed.app = (await backend.read()).applications[rayApplicationName(desired.id)];
    } catch (error) {
      entry.observed.failure = `could not deploy to Ray: ${(error as Error).message}`;
      throw error;
    } finally {
      entry.observed.isApplying = false;
      publish(entry);
    }
    if (isWaiting) await waitSettled(entry);
  }

  function known(deploymentId: string): TEntry {
    const entry = entries.get(deploymentId);
    if (!entry)
      throw new Error(`deployment ${deploymentId} is not known to the ray runtime; apply it first`);
    return entry;
  }

  const absent = (deploymentId: string): TRuntimeStatus => ({
    deploymentId,
    phase: "absent",
    reason: undefined,
    desiredReplicas: 0,
    generation: 0,
    replicas: [],
  });

  return {
    kind: "ray",
    async checkReady() {
      await preflight;
      if (preflightError) throw preflightError;
    },
    apply: (desired) => converge(desired, true),
    scale: (deploymentId, replicas) => converge({ ...known(deploymentId).desired, replicas }, true),
    stop: (deploymentId) => converge(known(deploymentId).desired, false),
    async delete(deploymentId) {
      const entry = entries.get(deploymentId);
      await preflight;
      await backend.write({ remove: [deploymentId] });
      entries.delete(deploymentId);
      const status = { ...absent(deploymentId), generation: entry?.desired.generation ?? 0 };
      for (const listener of listeners) listener(status);
    },
    status: (deploymentId) => {
      const entry = entries.get(deploymentId);
      return entry ? mapRayStatus(entry.observed) : absent(deploymentId);
    },
    watch(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async logs(deploymentId) {
      known(deploymentId);
      // The Serve REST API serves no replica logs; they are in Ray's dashboard and log files.
      return [
        {
          replicaId: rayApplicationName(deploymentId),
          lines: [
            "(Ray keeps replica logs itself: see the Ray dashboard's Serve page or /tmp/ray/session_latest/logs/serve on the cluster)",
          ],
        },
      ];
    },
    endpoints(deploymentId): TEndpoint[] {
      const entry = entries.get(deploymentId);
      if (!entry || mapRayStatus(entry.observed).phase !== "running") return [];
      return [
        {
          replicaId: rayApplicationName(deploymentId),
          deploymentId,
          origin: config.serveUrl,
          token: options.replicaToken(deploymentId),
          generation: entry.desired.generation,
          pathPrefix: rayRoutePrefix(deploymentId),
          // Ray's Serve proxy has no authentication (ray#59578): the replica itself checks this token.
          headers: { [RAY_TOKEN_HEADER]: options.replicaToken(deploymentId) },
        },
      ];
    },
    async reconcile(desired) {
      await preflight;
      if (preflightError) {
        for (const d of desired) {
          const entry = track(d, true);
          entry.observed.isApplying = false;
          entry.observed.unreachable = preflightError.message;
          publish(entry);
        }
        return;
      }
      let details;
      try {
        details = await backend.read();
      } catch (error) {
        log.warn({ err: error }, "ray reconcile could not read Ray");
        return;
      }
      for (const d of desired) {
        const name = rayApplicationName(d.id);
        const held = details.applications[name];
        const wanted =
          d.replicas > 0 ? buildRayApplication(config, d, "", tokenSha256(d.id)) : undefined;
        const isMatching = wanted
          ? held !== undefined && isSameApplication(held.deployed_app_config, wanted)
          : held === undefined;
        if (isMatching) {
          const entry = entries.get(d.id) ?? track(d, d.replicas > 0);
          entry.desired = d;
          entry.observed.isApplying = false;
          entry.observed.app = held;
          publish(entry);
          continue;
        }
        if (wanted && !held && entries.has(d.id)) {
          log.warn({ deployment: d.id }, "our Ray application is gone; re-applying it");
        }
        // Lost or out of date: re-apply; a failure leaves the deployment degraded with the reason.
        await converge(d, true, false).catch((error: unknown) => {
          log.warn({ err: error, deployment: d.id }, "ray reconcile could not re-apply");
          const entry = entries.get(d.id);
          if (!entry) return;
          entry.observed.failure = undefined;
          entry.observed.unreachable = `the Ray application could not be re-applied: ${(error as Error).message}`;
          publish(entry);
        });
      }
    },
    async close() {
      isClosed = true;
      clearInterval(timer);
      waiters.wakeAll();
      await Promise.resolve(isClosed);
    },
  };
}
