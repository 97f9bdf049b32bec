import path from "node:path";
import type { DeploymentStatus, Prisma } from "@kubeserve/db";
import type { TDeps } from "../deps";
import { artifactReadToken } from "../lib/artifact-read-token";
import type { TDesiredDeployment, TModelSource, TRuntimeStatus } from "../runtime/driver";
import type { TRuntimeKind } from "../runtime/registry";
import type { TAutoscaling } from "../schemas/deployment";

// Between the database (what the owner asked for, the status history) and the runtime driver (what
// runs): status changes become DeploymentEvents, and reconcile brings the runtime back to the database.

export const runtimeRowSelect = {
  id: true,
  name: true,
  ownerId: true,
  status: true,
  statusMessage: true,
  runtime: true,
  desiredState: true,
  replicas: true,
  generation: true,
  resources: true,
  runtimeOptions: true,
  autoscaling: true,
  model: { select: { name: true } },
  version: {
    select: {
      tag: true,
      framework: true,
      artifactUri: true,
      artifactSha256: true,
      requirementsUri: true,
      requirementsSha256: true,
    },
  },
} as const;

export type TRuntimeRow = Prisma.DeploymentGetPayload<{ select: typeof runtimeRowSelect }>;

/** Where a replica reads the artifact: the file itself on the fs store, the object on S3. */
export function modelSourceFor(
  deps: TDeps,
  artifactUri: string,
  sha256: string,
  deploymentId: string,
): TModelSource {
  const store = deps.config.storage.store;
  if (/^(s3|https?):\/\//.test(artifactUri)) return { uri: artifactUri, sha256 };
  const key = artifactUri.replace(/^file:\/\//, "");
  if (path.isAbsolute(key)) return { uri: key, sha256 };
  if (store.driver === "fs") return { uri: path.join(store.dir, key), sha256 };
  // No bucket credential leaves the API: replicas fetch through it with their deployment's read token.
  const host = ["0.0.0.0", "::"].includes(deps.config.host) ? "127.0.0.1" : deps.config.host;
  const origin = `http://${host.includes(":") ? `[${host}]` : host}:${deps.config.port}`;
  return {
    uri: `${origin}/api/v1/runtime/artifacts/${deploymentId}`,
    sha256,
    token: artifactReadToken(deps.config.auth.secret, deploymentId),
  };
}

/** The object key: the local runtime reads requirements.txt through the store, on fs and S3 alike. */
function requirementsKeyFor(uri: string): string {
  return uri.replace(/^file:\/\//, "");
}

export function toDesired(deps: TDeps, row: TRuntimeRow): TDesiredDeployment {
  return {
    id: row.id,
    name: row.name,
    modelName: row.model.name,
    generation: row.generation,
    model: modelSourceFor(
      deps,
      row.version.artifactUri ?? "",
      row.version.artifactSha256 ?? "",
      row.id,
    ),
    framework: row.version.framework,
    ...(row.version.requirementsUri
      ? {
          requirements: {
            uri: requirementsKeyFor(row.version.requirementsUri),
            sha256: row.version.requirementsSha256 ?? "",
          },
        }
      : {}),
    replicas: row.replicas,
    resources: row.resources as TDesiredDeployment["resources"],
    runtimeOptions: row.runtimeOptions as TDesiredDeployment["runtimeOptions"],
    ...(row.autoscaling ? { autoscaling: row.autoscaling as TAutoscaling } : {}),
  };
}

/** One status change, with its event, in order with every other change of this deployment. */
export function recordStatus(
  deps: TDeps,
  id: string,
  status: DeploymentStatus,
  message: string,
): Promise<void> {
  return deps.deploymentQueue.run(id, () => writeStatus(deps, id, status, message));
}

/** The change itself, in one transaction; one event per transition, so a repeated status is skipped. */
async function writeStatus(
  deps: TDeps,
  id: string,
  status: DeploymentStatus,
  message: string,
): Promise<void> {
  const text = message.slice(0, 2000);
  await deps.db.$transaction(async (tx) => {
    const current = await tx.deployment.findUnique({
      where: { id },
      select: { status: true, statusMessage: true },
    });
    if (!current || current.status === status) return;
    await tx.deployment.update({
      where: { id },
      data: { status, statusMessage: text },
      select: { id: true },
    });
    await tx.deploymentEvent.create({
      data: { deploymentId: id, status, message: text },
      select: { id: true },
    });
  });
  deps.gateway.directory.invalidate(id);
}

const phaseStatus: Partial<Record<TRuntimeStatus["phase"], DeploymentStatus>> = {
  starting: "deploying",
  running: "running",
  degraded: "degraded",
  failed: "failed",
};

function describePhase(status: TRuntimeStatus): string {
  const ready = status.replicas.filter((r) => r.state === "ready").length;
  if (status.phase === "running") return `${ready} of ${status.desiredReplicas} replicas ready`;
  return status.reason ?? `${ready} of ${status.desiredReplicas} replicas ready`;
}

/** Runtime status changes → database status and events (running, degraded, failed with the reason). */
export function watchRuntime(deps: TDeps): () => void {
  return deps.runtimes.watch((status) => {
    const next = phaseStatus[status.phase];
    if (!next) return;
    void deps.deploymentQueue
      .run(status.deploymentId, async () => {
        const row = await deps.db.deployment.findUnique({
          where: { id: status.deploymentId },
          select: { desiredState: true, generation: true, status: true },
        });
        // While stopping or after, and while a newer generation rolls out, the service writes the status.
        if (!row || row.desiredState !== "running" || row.status === "stopping") return;
        if (row.generation !== status.generation) return;
        await writeStatus(deps, status.deploymentId, next, describePhase(status));
      })
      .catch((error: unknown) =>
        deps.log.warn({ err: error, deployment: status.deploymentId }, "recording status failed"),
      );
  });
}

async function loadRow(deps: TDeps, id: string): Promise<TRuntimeRow | null> {
  return deps.db.deployment.findUnique({ where: { id }, select: runtimeRowSelect });
}

/** Starts (or converges) a deployment in the background; failures end up in its status. */
export function launch(deps: TDeps, id: string, message: string): void {
  void (async () => {
    const row = await loadRow(deps, id);
    if (!row || row.desiredState !== "running") return;
    // Queued first, so it stays ahead of the runtime's own status changes; the replicas start meanwhile
    // (the status write no longer delays the cold start).
    const deploying = recordStatus(deps, id, "deploying", message);
    const driver = deps.runtimes.get(row.runtime);
    await Promise.all([deploying, driver.apply(toDesired(deps, row))]);
    const status = driver.status(id);
    const next = phaseStatus[status.phase];
    if (next) await recordStatus(deps, id, next, describePhase(status));
  })().catch(async (error: unknown) => {
    deps.log.error({ err: error, deployment: id }, "deployment failed to start");
    await recordStatus(deps, id, "failed", `could not start: ${(error as Error).message}`).catch(
      () => undefined,
    );
  });
}

/** Every deployment that should run on `kind`, as its driver needs it (failed ones stay failed until started). */
export async function loadDesired(
  deps: TDeps,
  kind: TRuntimeKind = "local",
): Promise<TDesiredDeployment[]> {
  const rows = await deps.db.deployment.findMany({
    where: { desiredState: "running", status: { not: "failed" }, runtime: kind },
    select: runtimeRowSelect,
  });
  return rows.map((row) => toDesired(deps, row));
}

/** Each enabled driver converges on its own deployments; one driver failing does not stop the others. */
export async function reconcileRuntime(deps: TDeps): Promise<void> {
  const results = await Promise.allSettled(
    deps.runtimes
      .all()
      .map(async (driver) => driver.reconcile(await loadDesired(deps, driver.kind))),
  );
  const failure = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failure) throw failure.reason;
}

/** Replicas for the autoscaler: enough that each has about `targetInFlight` requests open. */
export function decideReplicas(
  current: number,
  averageInFlight: number,
  policy: TAutoscaling,
): number {
  const wanted = Math.ceil(averageInFlight / policy.targetInFlight);
  // Scale down one replica at a time, so a lull does not drop all capacity at once.
  const next = wanted < current ? current - 1 : wanted;
  return Math.min(policy.maxReplicas, Math.max(policy.minReplicas, next));
}

/** Samples in-flight requests often and rescales every interval; returns the stop function. */
export function startAutoscaler(deps: TDeps, sampleMs = 250): () => void {
  const sums = new Map<string, { total: number; samples: number }>();
  const sampler = setInterval(() => {
    for (const [id, sum] of sums) {
      sum.total += deps.gateway.upstreams.inFlight(id);
      sum.samples += 1;
    }
  }, sampleMs);
  sampler.unref();
  const tick = async () => {
    const rows = await deps.db.deployment.findMany({
      // Kubernetes scales with its HorizontalPodAutoscaler and Ray with its own autoscaling_config.
      where: {
        desiredState: "running",
        autoscaling: { not: { equals: null } },
        status: "running",
        runtime: "local",
      },
      select: { id: true, replicas: true, autoscaling: true },
    });
    for (const row of rows) {
      const sum = sums.get(row.id);
      sums.set(row.id, { total: 0, samples: 0 });
      if (!sum || sum.samples === 0) continue;
      const next = decideReplicas(
        row.replicas,
        sum.total / sum.samples,
        row.autoscaling as TAutoscaling,
      );
      if (next === row.replicas) continue;
      await deps.db.deployment.update({
        where: { id: row.id },
        data: { replicas: next },
        select: { id: true },
      });
      deps.log.info({ deployment: row.id, from: row.replicas, to: next }, "autoscaling");
      void deps.runtimes
        .get("local")
        .scale(row.id, next)
        .catch((error: unknown) =>
          deps.log.warn({ err: error, deployment: row.id }, "autoscaling failed"),
        );
    }
  };
  const timer = setInterval(() => {
    tick().catch((error: unknown) => deps.log.warn({ err: error }, "autoscaler tick failed"));
  }, deps.config.runtime.autoscaleIntervalMs);
  timer.unref();
  return () => {
    clearInterval(sampler);
    clearInterval(timer);
  };
}

/**
 * The runtime's background work in a serving API: status → events, reconcile at start and every
 * RUNTIME_RECONCILE_SECONDS, the autoscaler and the replica metrics scraper. Returns the stop function.
 */
export async function startRuntime(
  deps: TDeps,
  options: { isReconciling?: boolean } = {},
): Promise<() => Promise<void>> {
  const unwatch = watchRuntime(deps);
  const stopAutoscaler = startAutoscaler(deps);
  deps.replicaMetrics.start();
  let timer: NodeJS.Timeout | undefined;
  if (options.isReconciling ?? true) {
    await reconcileRuntime(deps);
    let isRunning = false;
    timer = setInterval(() => {
      if (isRunning) return;
      isRunning = true;
      reconcileRuntime(deps)
        .catch((error: unknown) => deps.log.warn({ err: error }, "reconcile failed"))
        .finally(() => (isRunning = false));
    }, deps.config.runtime.reconcileMs);
    timer.unref();
  }
  return async () => {
    if (timer) clearInterval(timer);
    stopAutoscaler();
    deps.replicaMetrics.stop();
    unwatch();
    await deps.runtimes.close();
  };
}
