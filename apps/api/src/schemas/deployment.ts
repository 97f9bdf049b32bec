import { ZDeploymentName } from "@kubeserve/k8s/names";
import { z } from "zod";
import { ZCursor, ZId, ZIsoDate, ZPage, ZPageSize } from "./common";

export const ZDeploymentStatus = z.enum([
  "pending",
  "deploying",
  "running",
  "degraded",
  "stopping",
  "stopped",
  "failed",
]);
export type TDeploymentStatus = z.infer<typeof ZDeploymentStatus>;

const cpuPattern = /^\d+(\.\d+)?m?$/;
const memoryPattern = /^\d+(\.\d+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$/;

export const ZCpu = z.string().regex(cpuPattern, "must be a CPU quantity such as 500m or 2");
export const ZMemory = z
  .string()
  .regex(memoryPattern, "must be a memory quantity such as 512Mi or 2Gi");

function toMilli(cpu: string): number {
  return cpu.endsWith("m") ? Number(cpu.slice(0, -1)) : Number(cpu) * 1000;
}

const memoryUnits: Record<string, number> = {
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
};

function toBytes(memory: string): number {
  const match = /^(\d+(?:\.\d+)?)([A-Za-z]*)$/.exec(memory);
  return Number(match?.[1] ?? 0) * (memoryUnits[match?.[2] ?? ""] ?? 1);
}

export const ZResources = z
  .object({
    cpuRequest: ZCpu.optional(),
    cpuLimit: ZCpu.optional(),
    memoryRequest: ZMemory.optional(),
    memoryLimit: ZMemory.optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.cpuRequest && r.cpuLimit && toMilli(r.cpuLimit) < toMilli(r.cpuRequest)) {
      ctx.addIssue({
        code: "custom",
        path: ["cpuLimit"],
        message: `cpuLimit ${r.cpuLimit} is below cpuRequest ${r.cpuRequest}`,
      });
    }
    if (r.memoryRequest && r.memoryLimit && toBytes(r.memoryLimit) < toBytes(r.memoryRequest)) {
      ctx.addIssue({
        code: "custom",
        path: ["memoryLimit"],
        message: `memoryLimit ${r.memoryLimit} is below memoryRequest ${r.memoryRequest}`,
      });
    }
  });
export type TResourcesInput = z.infer<typeof ZResources>;

export const ZRuntimeOptions = z
  .object({
    batching: z.enum(["auto", "on", "off"]).default("auto"),
    maxBatchSize: z.number().int().min(1).max(1024).default(32),
    maxQueueDelayMs: z.number().int().min(0).max(1000).default(1),
  })
  .strict();

export const ZAutoscaling = z
  .object({
    minReplicas: z.number().int().min(0, "minReplicas must be 0 or more"),
    maxReplicas: z.number().int().min(1, "maxReplicas must be at least 1"),
    /** Concurrent requests per replica the autoscaler aims for. */
    targetInFlight: z.number().min(0.1).max(10_000).default(4),
  })
  .strict()
  .refine((a) => a.minReplicas <= a.maxReplicas, {
    message: "minReplicas must not exceed maxReplicas",
    path: ["minReplicas"],
  });
export type TAutoscaling = z.infer<typeof ZAutoscaling>;

const ZReplicas = z.number().int().min(0, "replicas must be 0 or more");

/** Where a deployment runs; the API refuses a runtime it has not enabled (see the README). */
export const ZDeploymentRuntime = z.enum(["local", "kubernetes", "ray"]);
export type TDeploymentRuntime = z.infer<typeof ZDeploymentRuntime>;

export const ZCreateDeploymentInput = z
  .object({
    versionId: ZId,
    name: ZDeploymentName,
    replicas: ZReplicas.default(1),
    resources: ZResources.default({}),
    autoscaling: ZAutoscaling.optional(),
    runtimeOptions: ZRuntimeOptions.prefault({}),
    isPublic: z.boolean().default(false),
    /** Defaults to RUNTIME_DEFAULT. */
    runtime: ZDeploymentRuntime.optional(),
  })
  .strict();
export type TCreateDeploymentInput = z.infer<typeof ZCreateDeploymentInput>;

export const ZUpdateDeploymentInput = z
  .object({
    id: ZId,
    versionId: ZId.optional(),
    runtimeOptions: ZRuntimeOptions.optional(),
    autoscaling: ZAutoscaling.nullable().optional(),
    isPublic: z.boolean().optional(),
  })
  .strict();
export type TUpdateDeploymentInput = z.infer<typeof ZUpdateDeploymentInput>;

export const ZScaleDeploymentInput = z.object({ id: ZId, replicas: ZReplicas }).strict();

export const ZDeploymentIdInput = z.object({ id: ZId }).strict();

export const ZListDeploymentsInput = z
  .object({ modelId: ZId.optional(), cursor: ZCursor.optional(), limit: ZPageSize })
  .strict()
  .prefault({});
export type TListDeploymentsInput = z.infer<typeof ZListDeploymentsInput>;

export const ZDeploymentLogsInput = z
  .object({ id: ZId, lines: z.number().int().min(1).max(1000).default(100) })
  .strict();

export const ZMetricsWindow = z.enum(["5m", "15m", "1h"]);
export const ZDeploymentMetricsInput = z
  .object({ id: ZId, window: ZMetricsWindow.default("15m") })
  .strict();

export const ZReplica = z.object({
  id: z.string(),
  generation: z.number().int(),
  state: z.enum(["starting", "ready", "draining", "crashed", "failed"]),
  restarts: z.number().int(),
  startedAt: ZIsoDate,
  readyAt: ZIsoDate.nullable(),
  reason: z.string().nullable(),
});

export const ZDeploymentEvent = z.object({
  status: ZDeploymentStatus,
  message: z.string(),
  createdAt: ZIsoDate,
});

export const ZDeployment = z.object({
  id: ZId,
  name: z.string(),
  modelId: ZId,
  versionId: ZId,
  status: ZDeploymentStatus,
  statusMessage: z.string().nullable(),
  desiredState: z.enum(["running", "stopped"]),
  runtime: ZDeploymentRuntime,
  replicas: z.number().int(),
  resources: ZResources,
  autoscaling: ZAutoscaling.nullable(),
  runtimeOptions: ZRuntimeOptions,
  isPublic: z.boolean(),
  generation: z.number().int(),
  coldStartMs: z.number().int().nullable(),
  urls: z.object({ predict: z.string(), v2: z.string(), openapi: z.string() }),
  createdAt: ZIsoDate,
  updatedAt: ZIsoDate,
});
export type TDeployment = z.infer<typeof ZDeployment>;

export const ZDeploymentDetail = ZDeployment.extend({
  events: z.array(ZDeploymentEvent),
  currentReplicas: z.array(ZReplica),
  /** What the runtime cannot enforce, so nobody relies on it silently. */
  notices: z.array(z.string()),
});
export type TDeploymentDetail = z.infer<typeof ZDeploymentDetail>;

export const ZDeploymentPage = ZPage(ZDeployment);

export const ZDeploymentLogs = z.array(
  z.object({ replicaId: z.string(), lines: z.array(z.string()) }),
);

export const ZMetricsPoint = z.object({
  at: ZIsoDate,
  requestsPerSecond: z.number(),
  errorsPerSecond: z.number(),
  predictionsPerSecond: z.number(),
  p50Ms: z.number().nullable(),
  p95Ms: z.number().nullable(),
  p99Ms: z.number().nullable(),
  inFlight: z.number(),
  averageBatchSize: z.number().nullable(),
  /** Replicas that answered the scrape behind this point (the dashboard charts it). */
  replicas: z.number().int(),
});

export const ZDeploymentMetrics = z.object({
  window: ZMetricsWindow,
  intervalSeconds: z.number(),
  points: z.array(ZMetricsPoint),
});
export type TDeploymentMetrics = z.infer<typeof ZDeploymentMetrics>;
