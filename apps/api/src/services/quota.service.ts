import type { PrismaClient } from "@kubeserve/db";
import { formatMilli, toMilli } from "@kubeserve/k8s/quantity";
import type { TDeps } from "../deps";
import { DomainError } from "../lib/errors";
import type { TResources } from "../runtime/driver";
import { resourcesFor } from "../runtime/kubernetes-objects";
import type { TTenantQuota } from "../runtime/kubernetes-runtime";
import type { TAutoscaling } from "../schemas/deployment";
import type { TSetUserQuotaInput, TUserQuota, TUserQuotaLimits } from "../schemas/quota";
import type { TActor } from "./auth.service";

// Per-user limits an admin sets (user_quotas). The API checks them on create and scale, for every runtime;
// on Kubernetes they also become the user's namespace ResourceQuota, which the cluster enforces again.
// Accounting: a running deployment uses its replicas (an autoscaled one its maxReplicas) times its CPU
// and memory limits, defaulted as the kubernetes driver defaults them (1 CPU, 1Gi when nothing is set).

const noLimits: TUserQuotaLimits = {
  maxDeployments: null,
  maxReplicas: null,
  maxCpu: null,
  maxMemory: null,
};

type TUsageRow = {
  id: string;
  desiredState: string;
  replicas: number;
  resources: unknown;
  autoscaling: unknown;
};

/** What one deployment would hold: the replica count the quota counts, and its CPU/memory in milli. */
export type TDemand = {
  replicas: number;
  autoscaling?: TAutoscaling | null | undefined;
  resources: TResources;
};

function usageOf(demand: TDemand) {
  const replicas = demand.autoscaling ? demand.autoscaling.maxReplicas : demand.replicas;
  const { limits } = resourcesFor(demand.resources);
  return {
    replicas,
    cpu: replicas * toMilli(limits.cpu),
    memory: replicas * toMilli(limits.memory),
  };
}

async function readLimits(db: PrismaClient, userId: string): Promise<TUserQuotaLimits> {
  const row = await db.userQuota.findUnique({
    where: { userId },
    select: { maxDeployments: true, maxReplicas: true, maxCpu: true, maxMemory: true },
  });
  return row ?? noLimits;
}

async function readUsage(db: PrismaClient, userId: string, exceptId?: string) {
  const rows: TUsageRow[] = await db.deployment.findMany({
    where: { ownerId: userId },
    select: { id: true, desiredState: true, replicas: true, resources: true, autoscaling: true },
  });
  const total = { deployments: rows.length, replicas: 0, cpu: 0, memory: 0 };
  for (const row of rows) {
    if (row.desiredState !== "running" || row.id === exceptId) continue;
    const used = usageOf({
      replicas: row.replicas,
      autoscaling: row.autoscaling as TAutoscaling | null,
      resources: row.resources as TResources,
    });
    total.replicas += used.replicas;
    total.cpu += used.cpu;
    total.memory += used.memory;
  }
  return total;
}

/**
 * Refuses (403, naming the limit) a create (`deploymentId` undefined) or a change of one deployment
 * that would take the owner past a limit an admin set. Callers hold the owner's quota queue slot.
 */
export async function enforceQuota(
  deps: TDeps,
  ownerId: string,
  demand: TDemand,
  deploymentId?: string,
): Promise<void> {
  const limits = await readLimits(deps.db, ownerId);
  if (Object.values(limits).every((value) => value === null)) return;
  const usage = await readUsage(deps.db, ownerId, deploymentId);
  const wanted = usageOf(demand);
  const refuse = (limit: string, detail: string) => {
    throw new DomainError(
      "FORBIDDEN",
      `Quota exceeded: ${limit} ${detail}; an admin can raise it (quota.set)`,
    );
  };
  if (deploymentId === undefined && limits.maxDeployments !== null) {
    if (usage.deployments + 1 > limits.maxDeployments) {
      refuse(
        `maxDeployments is ${limits.maxDeployments}`,
        `and you have ${usage.deployments} deployment(s)`,
      );
    }
  }
  if (limits.maxReplicas !== null && usage.replicas + wanted.replicas > limits.maxReplicas) {
    refuse(
      `maxReplicas is ${limits.maxReplicas}`,
      `and your running deployments use ${usage.replicas}; this asks for ${wanted.replicas}`,
    );
  }
  if (limits.maxCpu !== null && usage.cpu + wanted.cpu > toMilli(limits.maxCpu)) {
    refuse(
      `maxCpu is ${limits.maxCpu}`,
      `and your running replicas' CPU limits total ${formatMilli(usage.cpu, "cpu")}; this asks for ${formatMilli(wanted.cpu, "cpu")}`,
    );
  }
  if (limits.maxMemory !== null && usage.memory + wanted.memory > toMilli(limits.maxMemory)) {
    refuse(
      `maxMemory is ${limits.maxMemory}`,
      `and your running replicas' memory limits total ${formatMilli(usage.memory, "memory")}; this asks for ${formatMilli(wanted.memory, "memory")}`,
    );
  }
}

/** Checks and the write they guard run one at a time per owner, so two creates cannot both fit. */
export function withQuotaSlot<T>(deps: TDeps, ownerId: string, run: () => Promise<T>): Promise<T> {
  return deps.deploymentQueue.run(`quota:${ownerId}`, run);
}

/** Quantities as the limits are written ("0" rather than "0Gi" when nothing is used). */
function formatUsage(milli: number, kind: "cpu" | "memory"): string {
  return milli === 0 ? "0" : formatMilli(milli, kind);
}

async function describeQuota(deps: TDeps, userId: string): Promise<TUserQuota> {
  const [limits, usage] = await Promise.all([
    readLimits(deps.db, userId),
    readUsage(deps.db, userId),
  ]);
  return {
    userId,
    ...limits,
    usage: {
      deployments: usage.deployments,
      replicas: usage.replicas,
      cpu: formatUsage(usage.cpu, "cpu"),
      memory: formatUsage(usage.memory, "memory"),
    },
  };
}

/** A user's limits and usage: admins for anyone, a user for themselves (others are a plain 404). */
export async function getUserQuota(
  deps: TDeps,
  actor: TActor,
  userId: string,
): Promise<TUserQuota> {
  const exists = await deps.db.user.findUnique({ where: { id: userId }, select: { id: true } });
  if (!exists || (actor.role !== "admin" && actor.id !== userId)) {
    throw new DomainError("NOT_FOUND", "User not found");
  }
  return describeQuota(deps, userId);
}

/** Admin only (the router's adminProcedure checks the role too): fields left out keep their value. */
export async function setUserQuota(
  deps: TDeps,
  actor: TActor,
  input: TSetUserQuotaInput,
): Promise<TUserQuota> {
  if (actor.role !== "admin") {
    throw new DomainError("FORBIDDEN", "Only an admin can change a user's quota");
  }
  const { userId, ...limits } = input;
  const exists = await deps.db.user.findUnique({ where: { id: userId }, select: { id: true } });
  if (!exists) throw new DomainError("NOT_FOUND", "User not found");
  await deps.db.userQuota.upsert({
    where: { userId },
    create: { ...noLimits, ...limits, userId, updatedBy: actor.id },
    update: { ...limits, updatedBy: actor.id },
    select: { userId: true },
  });
  deps.log.info({ userId, limits, by: actor.id }, "user quota changed");
  return describeQuota(deps, userId);
}

/** The namespace ResourceQuota for a user with an override (undefined: the builders' defaults). */
export async function tenantQuotaOf(
  db: PrismaClient,
  userId: string,
): Promise<TTenantQuota | undefined> {
  const limits = await readLimits(db, userId);
  const quota: TTenantQuota = {
    ...(limits.maxCpu !== null ? { cpu: limits.maxCpu } : {}),
    ...(limits.maxMemory !== null ? { memory: limits.maxMemory } : {}),
    // A ResourceQuota of 0 pods is refused by the builders; with 0 replicas the API refuses first anyway.
    ...(limits.maxReplicas !== null ? { pods: Math.max(1, limits.maxReplicas) } : {}),
  };
  return Object.keys(quota).length ? quota : undefined;
}
