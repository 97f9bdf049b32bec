import { LABEL } from "@kubeserve/k8s";
import type { TReplicaState, TReplicaStatus, TRuntimePhase, TRuntimeStatus } from "./driver";

// What the cluster says about one deployment (its Deployment, Pods and the Events of its ReplicaSets
// and Pods) → our phase and reason. Pure, so every reason is tested from objects shaped as the API sends.

type TTime = string | Date | undefined;

export type TK8sCondition = {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: TTime;
};

export type TK8sDeployment = {
  metadata?: { name?: string; generation?: number; resourceVersion?: string };
  spec?: { replicas?: number };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    conditions?: TK8sCondition[];
  };
};

type TContainerStatus = {
  name: string;
  ready?: boolean;
  restartCount?: number;
  state?: {
    waiting?: { reason?: string; message?: string };
    terminated?: { reason?: string; exitCode?: number; message?: string };
  };
  lastState?: { terminated?: { reason?: string; exitCode?: number } };
};

export type TK8sPod = {
  metadata?: {
    name?: string;
    labels?: Record<string, string>;
    deletionTimestamp?: TTime;
    creationTimestamp?: TTime;
  };
  status?: {
    phase?: string;
    startTime?: TTime;
    conditions?: TK8sCondition[];
    containerStatuses?: TContainerStatus[];
    initContainerStatuses?: TContainerStatus[];
  };
};

export type TK8sEvent = {
  metadata?: { uid?: string; name?: string };
  involvedObject?: { kind?: string; name?: string };
  reason?: string;
  message?: string;
  type?: string;
};

export type TObservedDeployment = {
  deploymentId: string;
  /** The Kubernetes object name (`kd-…`), prefix of its ReplicaSets' and Pods' names. */
  name: string;
  generation: number;
  versionId: string | undefined;
  desiredReplicas: number;
  deployment: TK8sDeployment | undefined;
  pods: TK8sPod[];
  events: TK8sEvent[];
  /** Set when applying failed (quota pre-flight, 403, 422 …): the cluster never got the deployment. */
  failure: string | undefined;
  isApplying: boolean;
};

const imagePullReasons = new Set(["ImagePullBackOff", "ErrImagePull", "InvalidImageName"]);
const crashReasons = new Set(["CrashLoopBackOff", "RunContainerError", "CreateContainerError"]);

function isoOf(time: TTime): string | undefined {
  if (time === undefined) return undefined;
  return time instanceof Date ? time.toISOString() : time;
}

function condition(conditions: TK8sCondition[] | undefined, type: string) {
  return conditions?.find((c) => c.type === type);
}

/** The one reason a pod is not serving, in the order a user should fix them. */
export function podReason(pod: TK8sPod): { state: TReplicaState; reason: string } | undefined {
  const statuses = [
    ...(pod.status?.initContainerStatuses ?? []),
    ...(pod.status?.containerStatuses ?? []),
  ];
  for (const c of statuses) {
    const waiting = c.state?.waiting;
    if (waiting?.reason && imagePullReasons.has(waiting.reason)) {
      return {
        state: "failed",
        reason: `ImagePullBackOff: container ${c.name}: ${waiting.message ?? waiting.reason}`,
      };
    }
  }
  for (const c of statuses) {
    const oom =
      c.state?.terminated?.reason === "OOMKilled" ||
      c.lastState?.terminated?.reason === "OOMKilled";
    if (oom) {
      return {
        state: "crashed",
        reason: `OOMKilled: container ${c.name} exceeded its memory limit (restarted ${c.restartCount ?? 0} times)`,
      };
    }
  }
  for (const c of statuses) {
    const waiting = c.state?.waiting;
    if (waiting?.reason && crashReasons.has(waiting.reason)) {
      const exit = c.lastState?.terminated?.exitCode;
      return {
        state: "crashed",
        reason: `CrashLoopBackOff: container ${c.name} keeps exiting${exit === undefined ? "" : ` (exit code ${exit})`}, restarted ${c.restartCount ?? 0} times`,
      };
    }
  }
  const scheduled = condition(pod.status?.conditions, "PodScheduled");
  if (scheduled?.status === "False" && scheduled.reason === "Unschedulable") {
    return { state: "starting", reason: `Unschedulable: ${scheduled.message ?? "no node fits"}` };
  }
  return undefined;
}

function replicaOf(pod: TK8sPod, observed: TObservedDeployment): TReplicaStatus {
  const ready = condition(pod.status?.conditions, "Ready");
  const isReady = ready?.status === "True";
  const problem = podReason(pod);
  const restarts = (pod.status?.containerStatuses ?? []).reduce(
    (sum, c) => sum + (c.restartCount ?? 0),
    0,
  );
  const podVersion = pod.metadata?.labels?.[LABEL.versionId];
  const isCurrent = observed.versionId === undefined || podVersion === observed.versionId;
  let state: TReplicaState = isReady ? "ready" : (problem?.state ?? "starting");
  if (pod.metadata?.deletionTimestamp) state = "draining";
  return {
    id: pod.metadata?.name ?? "",
    generation: isCurrent ? observed.generation : observed.generation - 1,
    state,
    pid: undefined,
    port: undefined,
    restarts,
    startedAt: isoOf(pod.status?.startTime) ?? isoOf(pod.metadata?.creationTimestamp) ?? "",
    readyAt: isReady ? isoOf(ready.lastTransitionTime) : undefined,
    reason: isReady ? undefined : problem?.reason,
  };
}

/** Quota refusals: a ReplicaFailure condition on the Deployment and FailedCreate events on its ReplicaSets. */
export function quotaReason(observed: TObservedDeployment): string | undefined {
  const failure = condition(observed.deployment?.status?.conditions, "ReplicaFailure");
  if (failure?.status === "True" && failure.message?.includes("exceeded quota")) {
    return `QuotaExceeded: ${failure.message}`;
  }
  const event = observed.events.find(
    (e) =>
      e.reason === "FailedCreate" &&
      e.involvedObject?.kind === "ReplicaSet" &&
      e.involvedObject.name?.startsWith(`${observed.name}-`) &&
      e.message?.includes("exceeded quota"),
  );
  if (event) return `QuotaExceeded: ${event.message}`;
  if (failure?.status === "True") return `FailedCreate: ${failure.message ?? failure.reason ?? ""}`;
  return undefined;
}

function phaseOf(
  observed: TObservedDeployment,
  replicas: TReplicaStatus[],
): { phase: TRuntimePhase; reason: string | undefined } {
  if (observed.failure) return { phase: "failed", reason: observed.failure };
  const deployment = observed.deployment;
  if (!deployment) {
    return { phase: observed.isApplying ? "starting" : "absent", reason: undefined };
  }
  const desired = deployment.spec?.replicas ?? observed.desiredReplicas;
  const live = replicas.filter((r) => r.state !== "draining");
  if (desired === 0) {
    return live.length
      ? { phase: "starting", reason: "stopping" }
      : { phase: "stopped", reason: undefined };
  }
  const status = deployment.status ?? {};
  const ready = replicas.filter((r) => r.state === "ready").length;
  const isObserved = (status.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 0);
  const isRolledOut =
    isObserved &&
    (status.updatedReplicas ?? 0) >= desired &&
    (status.availableReplicas ?? 0) >= desired &&
    (status.replicas ?? 0) <= desired;
  const quota = quotaReason(observed);
  const progress = condition(status.conditions, "Progressing");
  const problem = live.find((r) => r.generation === observed.generation && r.reason)?.reason;
  if (isRolledOut && ready >= desired) return { phase: "running", reason: undefined };
  const blocker =
    quota ??
    (progress?.reason === "ProgressDeadlineExceeded"
      ? `ProgressDeadlineExceeded: ${progress.message ?? ""}`
      : undefined) ??
    problem;
  if (ready > 0) return { phase: blocker ? "degraded" : "starting", reason: blocker };
  // No pod serves: a refusal that will not heal by waiting is a failure; Unschedulable may still fit.
  if (blocker && !blocker.startsWith("Unschedulable")) return { phase: "failed", reason: blocker };
  return { phase: "starting", reason: blocker };
}

export function mapStatus(observed: TObservedDeployment): TRuntimeStatus {
  const replicas = observed.pods.map((pod) => replicaOf(pod, observed));
  const { phase, reason } = phaseOf(observed, replicas);
  return {
    deploymentId: observed.deploymentId,
    phase,
    reason,
    desiredReplicas: observed.deployment?.spec?.replicas ?? observed.desiredReplicas,
    generation: observed.generation,
    replicas,
  };
}
