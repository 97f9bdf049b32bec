import { isDeepStrictEqual } from "node:util";
// Subpaths, not the package root: the root also loads the Kubernetes client, which the built API
// bundles only when the kubernetes runtime needs it.
import { parseRayApplicationName, rayApplicationName, rayRoutePrefix } from "@kubeserve/k8s/names";
import { toMilli } from "@kubeserve/k8s/quantity";
import { type TRayServeApplication, ZRayServeApplication } from "@kubeserve/k8s/serve-config";
import type { TRayConfig } from "../config/ray";
import type { TDesiredDeployment, TReplicaStatus, TRuntimeStatus } from "./driver";
import type {
  TRayApplicationDetails,
  TServeDeployBody,
  TServeInstanceDetails,
} from "./ray-serve-api";

// Our Ray Serve applications (`kubeserve-<deploymentId>`, route `/kubeserve/<deploymentId>`), the merged
// PUT body that keeps everyone else's applications exactly as Ray reported them, and Ray's application
// status → our phases.

export const RAY_DEPLOYMENT_NAME = "KubeServeModel";

export class RayRefusal extends Error {
  override name = "RayRefusal";
}

export type TServeChange = { upsert?: TRayServeApplication[]; remove?: string[] };

/**
 * The application for one deployment; `artifactUrl` is short-lived and signed (see artifact-read-token).
 * Only the replica token's SHA-256 goes in: anyone who can read the Serve config must not learn the token.
 */
export function buildRayApplication(
  config: Pick<TRayConfig, "importPath" | "pyModules" | "namespace">,
  desired: TDesiredDeployment,
  artifactUrl: string,
  tokenSha256: string,
): TRayServeApplication {
  const { resources, runtimeOptions, autoscaling } = desired;
  const cpu = resources.cpuRequest ?? resources.cpuLimit;
  const memory = resources.memoryLimit ?? resources.memoryRequest;
  const actorOptions = {
    ...(cpu ? { num_cpus: toMilli(cpu) / 1000 } : {}),
    ...(memory ? { memory: Math.round(toMilli(memory) / 1000) } : {}),
  };
  const scaling = autoscaling
    ? {
        autoscaling_config: {
          min_replicas: autoscaling.minReplicas,
          max_replicas: autoscaling.maxReplicas,
          target_ongoing_requests: autoscaling.targetInFlight,
        },
      }
    : { num_replicas: desired.replicas };
  const app = {
    name: rayApplicationName(desired.id),
    route_prefix: rayRoutePrefix(desired.id),
    import_path: config.importPath,
    runtime_env: {
      ...(config.pyModules.length ? { py_modules: config.pyModules } : {}),
      env_vars: { KUBESERVE_DEPLOYMENT_ID: desired.id, KUBESERVE_RAY_NAMESPACE: config.namespace },
    },
    args: {
      deployment_id: desired.id,
      model_name: desired.modelName,
      generation: desired.generation,
      artifact_url: artifactUrl,
      artifact_sha256: desired.model.sha256,
      token_sha256: tokenSha256,
    },
    deployments: [
      {
        name: RAY_DEPLOYMENT_NAME,
        ...scaling,
        ...(Object.keys(actorOptions).length ? { ray_actor_options: actorOptions } : {}),
        // Ray hands user_config to the replica's reconfigure(): a batching change restarts nothing.
        user_config: {
          batching: runtimeOptions.batching,
          max_batch_size: runtimeOptions.maxBatchSize,
          batch_wait_timeout_s: runtimeOptions.maxQueueDelayMs / 1000,
        },
      },
    ],
  };
  // Ray's own rules for names and route prefixes, checked before anything is sent.
  const parsed = ZRayServeApplication.safeParse(app);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new RayRefusal(
      `Ray would reject the application: ${issue.path.join(".") || "application"} ${issue.message}`,
    );
  }
  return parsed.data;
}

/** Same application apart from the signed URL (re-signing alone must not redeploy every replica). */
export function isSameApplication(a: unknown, b: unknown): boolean {
  const strip = (app: unknown) => {
    const copy = JSON.parse(JSON.stringify(app ?? null)) as {
      args?: Record<string, unknown>;
    } | null;
    if (copy?.args) delete copy.args.artifact_url;
    return copy;
  };
  return isDeepStrictEqual(strip(a), strip(b));
}

/** Imperatively deployed applications (no deployed_app_config): a merged PUT would delete them. */
export function findImperative(details: TServeInstanceDetails): string[] {
  return Object.values(details.applications)
    .filter((app) => !app.deployed_app_config)
    .map((app) => app.name);
}

function clusterOptions(details: TServeInstanceDetails): Omit<TServeDeployBody, "applications"> {
  return {
    ...(details.proxy_location ? { proxy_location: details.proxy_location } : {}),
    ...(details.http_options ? { http_options: details.http_options } : {}),
    ...(details.grpc_options ? { grpc_options: details.grpc_options } : {}),
    ...(typeof details.target_capacity === "number"
      ? { target_capacity: details.target_capacity }
      : {}),
  };
}

/**
 * Ray's proxy picks the longest matching route_prefix, so an application routed under ours (e.g.
 * `/kubeserve/<id>/v2`) would receive part of this deployment's traffic and its replica token.
 */
export function checkRouteShadowing(
  applications: Array<{ name?: unknown; route_prefix?: unknown }>,
): void {
  for (const app of applications) {
    const id = typeof app.name === "string" ? parseRayApplicationName(app.name) : undefined;
    if (!id) continue;
    const prefix = `${rayRoutePrefix(id)}/`;
    const shadow = applications.find(
      (other) => typeof other.route_prefix === "string" && other.route_prefix.startsWith(prefix),
    );
    if (shadow) {
      throw new RayRefusal(
        `application ${String(shadow.name)} has route_prefix ${String(shadow.route_prefix)} under ${rayRoutePrefix(id)}: Ray would send it part of this deployment's traffic; KubeServe will not deploy until it is moved`,
      );
    }
  }
}

/**
 * The full config for a PUT: every application Ray holds, in Ray's order, each exactly as its
 * deployed_app_config, with ours replaced, removed or appended. Refuses what Ray would reject or lose.
 */
export function buildDeployBody(
  details: TServeInstanceDetails,
  change: TServeChange,
): TServeDeployBody {
  const imperative = findImperative(details);
  if (imperative.length) {
    throw new RayRefusal(
      `the Ray cluster holds application(s) deployed imperatively (serve.run) without a deployed_app_config: ${imperative.join(", ")}; ` +
        "Ray's PUT replaces every application, so writing would delete them. KubeServe will not write to this cluster " +
        "until they are redeployed declaratively (serve deploy / the REST API) or KubeServe is given its own cluster",
    );
  }
  const upsert = new Map((change.upsert ?? []).map((app) => [app.name, app]));
  const removed = new Set((change.remove ?? []).map((id) => rayApplicationName(id)));
  const applications: Record<string, unknown>[] = [];
  for (const app of Object.values(details.applications)) {
    const replacement = upsert.get(app.name);
    if (replacement) {
      applications.push(replacement);
      upsert.delete(app.name);
    } else if (!removed.has(app.name)) {
      applications.push(app.deployed_app_config!);
    }
  }
  applications.push(...upsert.values());
  const names = new Set<string>();
  const prefixes = new Map<string, string>();
  for (const app of applications as Array<{ name?: string; route_prefix?: string | null }>) {
    const name = app.name ?? "default";
    if (names.has(name)) throw new RayRefusal(`two applications would be named ${name}`);
    names.add(name);
    if (app.route_prefix) {
      const holder = prefixes.get(app.route_prefix);
      if (holder) {
        throw new RayRefusal(
          `route_prefix ${app.route_prefix} is already used by application ${holder}; Ray would reject the config`,
        );
      }
      prefixes.set(app.route_prefix, name);
    }
  }
  checkRouteShadowing(applications as Array<{ name?: unknown; route_prefix?: unknown }>);
  return { ...clusterOptions(details), applications };
}

/** After a PUT: what we meant to keep (theirs as before, ours as sent, removed ones gone) vs what Ray holds. */
export function verifyAfterWrite(
  before: TServeInstanceDetails,
  after: TServeInstanceDetails,
  change: TServeChange,
): { oursMissing: string[]; theirsChanged: string[] } {
  const ours = new Set([
    ...(change.upsert ?? []).map((app) => app.name),
    ...(change.remove ?? []).map((id) => rayApplicationName(id)),
  ]);
  const oursMissing = (change.upsert ?? [])
    .filter((app) => !isDeepStrictEqual(after.applications[app.name]?.deployed_app_config, app))
    .map((app) => app.name);
  const theirsChanged = Object.values(before.applications)
    .filter((app) => !ours.has(app.name))
    .filter(
      (app) =>
        !isDeepStrictEqual(
          after.applications[app.name]?.deployed_app_config,
          app.deployed_app_config,
        ),
    )
    .map((app) => app.name);
  return { oursMissing, theirsChanged };
}

/** Cluster config as it matters for a write (everyone's configs), to detect a writer between read and PUT. */
export function configFingerprint(details: TServeInstanceDetails): string {
  return JSON.stringify(
    Object.values(details.applications).map((app) => [app.name, app.deployed_app_config]),
  );
}

/** Our deployment ids among Ray's applications. */
export function ownedDeploymentIds(details: TServeInstanceDetails): string[] {
  return Object.keys(details.applications).flatMap((name) => {
    const id = parseRayApplicationName(name);
    return id ? [id] : [];
  });
}

const replicaStates: Record<string, TReplicaStatus["state"]> = {
  RUNNING: "ready",
  STARTING: "starting",
  UPDATING: "starting",
  RECOVERING: "starting",
  PENDING_MIGRATION: "draining",
  STOPPING: "draining",
};

function replicasOf(app: TRayApplicationDetails, generation: number): TReplicaStatus[] {
  return Object.values(app.deployments).flatMap((deployment) =>
    (deployment.replicas ?? []).map((replica) => ({
      id: replica.replica_id,
      generation,
      state: replicaStates[replica.state] ?? "starting",
      pid: replica.pid,
      port: undefined,
      restarts: 0,
      startedAt: new Date((replica.start_time_s ?? 0) * 1000).toISOString(),
      readyAt: undefined,
      reason: replica.state === "RUNNING" ? undefined : `Ray replica ${replica.state}`,
    })),
  );
}

export type TRayObserved = {
  deploymentId: string;
  generation: number;
  desiredReplicas: number;
  isApplying: boolean;
  /** Set when our last write failed or was refused. */
  failure: string | undefined;
  /** Set when Ray could not be read (status is then degraded, not guessed). */
  unreachable: string | undefined;
  /** What Ray reports for our application; undefined when it holds none. */
  app: TRayApplicationDetails | undefined;
  /** Whether the application should exist on Ray (false once stopped). */
  isExpected: boolean;
};

function rayMessage(app: TRayApplicationDetails, fallback: string): string {
  const messages = [app.message, ...Object.values(app.deployments).map((d) => d.message)].filter(
    (m): m is string => Boolean(m),
  );
  return messages.length ? `Ray: ${messages.join("; ").slice(0, 1500)}` : fallback;
}

/** Ray's application status (DEPLOYING, RUNNING, DEPLOY_FAILED, UNHEALTHY, DELETING) → our phase and reason. */
export function mapRayStatus(observed: TRayObserved): TRuntimeStatus {
  const base = {
    deploymentId: observed.deploymentId,
    desiredReplicas: observed.desiredReplicas,
    generation: observed.generation,
  };
  const { app } = observed;
  const replicas = app ? replicasOf(app, observed.generation) : [];
  const status = (phase: TRuntimeStatus["phase"], reason: string | undefined) => ({
    ...base,
    phase,
    reason,
    replicas,
  });
  if (observed.failure) return status("failed", observed.failure);
  if (observed.unreachable && !observed.isApplying) return status("degraded", observed.unreachable);
  if (!observed.isExpected) {
    if (!app) return status("stopped", undefined);
    return status("starting", `Ray is removing the application (${app.status})`);
  }
  if (!app) {
    if (observed.isApplying) return status("starting", "sending the application to Ray Serve");
    return status(
      "degraded",
      "the application is gone from the Ray cluster (someone else replaced Ray's Serve config); reconcile re-applies it",
    );
  }
  switch (app.status) {
    case "RUNNING":
      return status("running", undefined);
    case "DEPLOY_FAILED":
      return status("failed", rayMessage(app, "Ray reports DEPLOY_FAILED"));
    case "UNHEALTHY":
      return status("degraded", rayMessage(app, "Ray reports the application UNHEALTHY"));
    case "DELETING":
      return status("degraded", "Ray is deleting the application (someone else removed it)");
    default:
      return status(
        "starting",
        rayMessage(app, `Ray is deploying the application (${app.status})`),
      );
  }
}
