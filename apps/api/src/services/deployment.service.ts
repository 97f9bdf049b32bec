import type { Prisma } from "@kubeserve/db";
import type { TDeps } from "../deps";
import { decodeCursor, encodeCursor } from "../lib/cursor";
import { DomainError } from "../lib/errors";
import type {
  TAutoscaling,
  TCreateDeploymentInput,
  TDeployment,
  TDeploymentDetail,
  TListDeploymentsInput,
  TUpdateDeploymentInput,
} from "../schemas/deployment";
import type { TSignature } from "../schemas/version";
import type { TActor } from "./auth.service";
import { launch, recordStatus } from "./deployment-runtime";
import { enforceQuota, withQuotaSlot, type TDemand } from "./quota.service";
import { v1ContractConflict } from "./v1-contract";

const deploymentSelect = {
  id: true,
  ownerId: true,
  name: true,
  modelId: true,
  versionId: true,
  status: true,
  statusMessage: true,
  desiredState: true,
  runtime: true,
  replicas: true,
  resources: true,
  autoscaling: true,
  runtimeOptions: true,
  isPublic: true,
  generation: true,
  coldStartMs: true,
  createdAt: true,
  updatedAt: true,
} as const;

type TRow = Prisma.DeploymentGetPayload<{ select: typeof deploymentSelect }>;

function demandOf(row: Pick<TRow, "replicas" | "autoscaling" | "resources">): TDemand {
  return {
    replicas: row.replicas,
    autoscaling: row.autoscaling as TAutoscaling | null,
    resources: row.resources as TDemand["resources"],
  };
}

export const cpuNotice = "CPU requests and limits are not enforced on the local runtime";

/** A model saved with another scikit-learn than the runtime's may predict differently: said, not silent. */
function sklearnVersionNotices(version: { tag: string; signature: unknown } | null): string[] {
  const warnings = (version?.signature as TSignature | null)?.sklearn?.warnings ?? [];
  return warnings
    .filter((w) => w.startsWith("saved with scikit-learn"))
    .map((w) => `version '${version?.tag ?? ""}' was ${w}: predictions may differ`);
}

function publicBase(deps: TDeps): string {
  return deps.config.publicUrl ?? `http://${deps.config.host}:${deps.config.port}`;
}

function toDeployment(deps: TDeps, row: TRow): TDeployment {
  const base = `${publicBase(deps).replace(/\/$/, "")}/api/v1`;
  return {
    ...row,
    resources: row.resources as TDeployment["resources"],
    autoscaling: (row.autoscaling ?? null) as TDeployment["autoscaling"],
    runtimeOptions: row.runtimeOptions as TDeployment["runtimeOptions"],
    urls: {
      predict: `${base}/predict/${row.id}`,
      v2: `${base}/deployments/${row.id}/v2`,
      openapi: `${base}/deployments/${row.id}/openapi.json`,
    },
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

function scope(actor: TActor): Prisma.DeploymentWhereInput {
  return actor.role === "admin" ? {} : { ownerId: actor.id };
}

async function findDeployment(deps: TDeps, actor: TActor, id: string): Promise<TRow> {
  const row = await deps.db.deployment.findFirst({
    where: { id, ...scope(actor) },
    select: deploymentSelect,
  });
  if (!row) throw new DomainError("NOT_FOUND", "Deployment not found");
  return row;
}

/** A version the actor owns and that has a stored artifact (`ready`); anything else is refused by name. */
async function findDeployableVersion(deps: TDeps, actor: TActor, versionId: string) {
  const version = await deps.db.modelVersion.findFirst({
    where: { id: versionId, ...(actor.role === "admin" ? {} : { model: { ownerId: actor.id } }) },
    select: {
      id: true,
      tag: true,
      status: true,
      framework: true,
      signature: true,
      model: { select: { id: true, ownerId: true } },
    },
  });
  if (!version) throw new DomainError("NOT_FOUND", "Version not found");
  if (version.status !== "ready") {
    throw new DomainError(
      "PRECONDITION_FAILED",
      `Version '${version.tag}' is ${version.status}: only a ready version (with an uploaded artifact) can be deployed`,
    );
  }
  return version;
}

function checkReplicas(
  deps: TDeps,
  replicas: number,
  autoscaling: TAutoscaling | null | undefined,
) {
  const max = deps.config.runtime.maxReplicas;
  if (replicas > max) {
    throw new DomainError("BAD_REQUEST", `replicas must be at most ${max} (this server's limit)`);
  }
  if (autoscaling && autoscaling.maxReplicas > max) {
    throw new DomainError("BAD_REQUEST", `autoscaling.maxReplicas must be at most ${max}`);
  }
  if (autoscaling && (replicas < autoscaling.minReplicas || replicas > autoscaling.maxReplicas)) {
    throw new DomainError(
      "BAD_REQUEST",
      `replicas (${replicas}) must be between autoscaling.minReplicas and maxReplicas`,
    );
  }
}

export async function createDeployment(
  deps: TDeps,
  actor: TActor,
  input: TCreateDeploymentInput,
): Promise<TDeployment> {
  const version = await findDeployableVersion(deps, actor, input.versionId);
  checkReplicas(deps, input.replicas, input.autoscaling);
  const requested = input.runtime ?? deps.config.runtime.defaultRuntime;
  const { kind: runtime } = deps.runtimes.get(requested);
  const ownerId = version.model.ownerId;
  return withQuotaSlot(deps, ownerId, async () => {
    await enforceQuota(deps, ownerId, input);
    const existing = await deps.db.deployment.findUnique({
      where: { ownerId_name: { ownerId, name: input.name } },
      select: { id: true },
    });
    if (existing)
      throw new DomainError("CONFLICT", `A deployment named '${input.name}' already exists`);
    const row = await deps.db.deployment.create({
      data: {
        ownerId,
        modelId: version.model.id,
        versionId: version.id,
        name: input.name,
        runtime,
        replicas: input.replicas,
        resources: input.resources as Prisma.InputJsonObject,
        autoscaling: (input.autoscaling ?? undefined) as Prisma.InputJsonObject | undefined,
        runtimeOptions: input.runtimeOptions as Prisma.InputJsonObject,
        isPublic: input.isPublic,
        startedAt: new Date(),
        events: { create: { status: "pending", message: `created from version '${version.tag}'` } },
      },
      select: deploymentSelect,
    });
    launch(deps, row.id, `starting ${row.replicas} replica(s) of version '${version.tag}'`);
    return toDeployment(deps, row);
  });
}

export async function listDeployments(deps: TDeps, actor: TActor, input: TListDeploymentsInput) {
  const where: Prisma.DeploymentWhereInput = {
    ...scope(actor),
    ...(input.modelId ? { modelId: input.modelId } : {}),
  };
  if (input.cursor) {
    const cursor = decodeCursor(input.cursor, "date");
    where.OR = [
      { createdAt: { lt: cursor.value } },
      { createdAt: cursor.value, id: { lt: cursor.id } },
    ];
  }
  const rows = await deps.db.deployment.findMany({
    where,
    select: deploymentSelect,
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: input.limit + 1,
  });
  const hasMore = rows.length > input.limit;
  const page = hasMore ? rows.slice(0, input.limit) : rows;
  const last = page.at(-1);
  return {
    items: page.map((row) => toDeployment(deps, row)),
    nextCursor: hasMore && last ? encodeCursor(last.createdAt, last.id) : null,
  };
}

export async function getDeployment(
  deps: TDeps,
  actor: TActor,
  id: string,
): Promise<TDeploymentDetail> {
  const row = await findDeployment(deps, actor, id);
  const events = await deps.db.deploymentEvent.findMany({
    where: { deploymentId: id },
    select: { status: true, message: true, createdAt: true },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    take: 200,
  });
  const resources = row.resources as TDeployment["resources"];
  const version = await deps.db.modelVersion.findUnique({
    where: { id: row.versionId },
    select: { tag: true, signature: true },
  });
  return {
    ...toDeployment(deps, row),
    events: events.map((e) => ({ ...e, createdAt: e.createdAt.toISOString() })),
    currentReplicas: (deps.runtimes.find(row.runtime)?.status(id).replicas ?? []).map((r) => ({
      id: r.id,
      generation: r.generation,
      state: r.state,
      restarts: r.restarts,
      startedAt: r.startedAt,
      readyAt: r.readyAt ?? null,
      reason: r.reason ?? null,
    })),
    notices: [
      ...(resources.cpuRequest || resources.cpuLimit ? [cpuNotice] : []),
      ...sklearnVersionNotices(version),
    ],
  };
}

export async function scaleDeployment(
  deps: TDeps,
  actor: TActor,
  input: { id: string; replicas: number },
): Promise<TDeployment> {
  const before = await findDeployment(deps, actor, input.id);
  checkReplicas(deps, input.replicas, before.autoscaling as TAutoscaling | null);
  const row = await withQuotaSlot(deps, before.ownerId, async () => {
    await enforceQuota(
      deps,
      before.ownerId,
      demandOf({ ...before, replicas: input.replicas }),
      before.id,
    );
    return deps.db.deployment.update({
      where: { id: before.id },
      data: { replicas: input.replicas },
      select: deploymentSelect,
    });
  });
  if (row.desiredState === "running") {
    launch(deps, row.id, `scaling from ${before.replicas} to ${input.replicas} replica(s)`);
  }
  return toDeployment(deps, row);
}

export async function updateDeployment(
  deps: TDeps,
  actor: TActor,
  input: TUpdateDeploymentInput,
): Promise<TDeployment> {
  const before = await findDeployment(deps, actor, input.id);
  let tag: string | undefined;
  if (input.versionId !== undefined) {
    const version = await findDeployableVersion(deps, actor, input.versionId);
    if (version.model.id !== before.modelId) {
      throw new DomainError("BAD_REQUEST", "versionId must be a version of the deployed model");
    }
    const current = await deps.db.modelVersion.findUniqueOrThrow({
      where: { id: before.versionId },
      select: { tag: true, framework: true, signature: true },
    });
    const conflict = v1ContractConflict(current, version);
    if (conflict) throw new DomainError("CONFLICT", conflict);
    tag = version.tag;
  }
  if (input.autoscaling) checkReplicas(deps, before.replicas, input.autoscaling);
  if (input.autoscaling && before.desiredState === "running") {
    await enforceQuota(
      deps,
      before.ownerId,
      demandOf({ ...before, autoscaling: input.autoscaling }),
      before.id,
    );
  }
  const isRollout =
    (input.versionId !== undefined && input.versionId !== before.versionId) ||
    input.runtimeOptions !== undefined;
  const row = await deps.db.deployment.update({
    where: { id: before.id },
    data: {
      ...(input.versionId ? { versionId: input.versionId } : {}),
      ...(input.runtimeOptions
        ? { runtimeOptions: input.runtimeOptions as Prisma.InputJsonObject }
        : {}),
      ...(input.autoscaling !== undefined
        ? { autoscaling: (input.autoscaling ?? null) as Prisma.InputJsonObject }
        : {}),
      ...(input.isPublic !== undefined ? { isPublic: input.isPublic } : {}),
      ...(isRollout ? { generation: { increment: 1 } } : {}),
    },
    select: deploymentSelect,
  });
  deps.gateway.directory.invalidate(row.id);
  if (isRollout && row.desiredState === "running") {
    launch(deps, row.id, tag ? `rolling out version '${tag}'` : "rolling out new runtime options");
  }
  return toDeployment(deps, row);
}

export async function stopDeployment(deps: TDeps, actor: TActor, id: string): Promise<TDeployment> {
  const before = await findDeployment(deps, actor, id);
  await deps.db.deployment.update({
    where: { id: before.id },
    data: { desiredState: "stopped" },
    select: { id: true },
  });
  await recordStatus(deps, id, "stopping", "stop requested: draining replicas");
  await deps.runtimes.get(before.runtime).stop(id);
  await recordStatus(deps, id, "stopped", "stopped by its owner");
  return toDeployment(deps, await findDeployment(deps, actor, id));
}

export async function startDeployment(
  deps: TDeps,
  actor: TActor,
  id: string,
): Promise<TDeployment> {
  const before = await findDeployment(deps, actor, id);
  const row = await withQuotaSlot(deps, before.ownerId, async () => {
    await enforceQuota(deps, before.ownerId, demandOf(before), before.id);
    return deps.db.deployment.update({
      where: { id: before.id },
      data: { desiredState: "running", startedAt: new Date(), coldStartMs: null },
      select: deploymentSelect,
    });
  });
  deps.gateway.directory.invalidate(id);
  launch(deps, row.id, `starting ${row.replicas} replica(s)`);
  return toDeployment(deps, row);
}

export async function deleteDeployment(deps: TDeps, actor: TActor, id: string): Promise<void> {
  const row = await findDeployment(deps, actor, id);
  await deps.db.deployment.update({
    where: { id: row.id },
    data: { desiredState: "stopped" },
    select: { id: true },
  });
  await deps.runtimes.get(row.runtime).delete(row.id);
  deps.replicaMetrics.forget(row.id);
  await deps.db.deployment.delete({ where: { id: row.id }, select: { id: true } });
  deps.gateway.directory.invalidate(row.id);
}

export async function deploymentLogs(deps: TDeps, actor: TActor, id: string, lines: number) {
  const row = await findDeployment(deps, actor, id);
  return deps.runtimes.get(row.runtime).logs(row.id, lines);
}

export async function deploymentMetrics(
  deps: TDeps,
  actor: TActor,
  input: { id: string; window: "5m" | "15m" | "1h" },
) {
  const row = await findDeployment(deps, actor, input.id);
  // The API scrapes only the replicas it supervises; Prometheus has the others' series.
  if (row.runtime !== "local" && deps.prometheus)
    return deps.prometheus.query(row.id, row.runtime, input.window);
  return deps.replicaMetrics.query(row.id, input.window);
}
