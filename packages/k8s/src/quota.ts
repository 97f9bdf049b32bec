import { formatMilli, toMilli } from "./quantity";
import { parseModelDeploymentSpec, type TModelDeploymentSpecInput } from "./spec";

// Pre-flight against a namespace's ResourceQuota, so a deploy that cannot fit fails at once with a
// message naming the resource, instead of a ReplicaSet quietly failing to create pods.

export const QUOTA_RESOURCES = [
  "pods",
  "requests.cpu",
  "requests.memory",
  "limits.cpu",
  "limits.memory",
] as const;

export type TQuotaResource = (typeof QUOTA_RESOURCES)[number];

/** Amounts as Kubernetes writes them in ResourceQuota `status.hard` / `status.used` ("2", "500m", "4Gi"). */
export type TQuotaAmounts = Partial<Record<TQuotaResource | "cpu" | "memory", string | number>>;

export type TQuotaShortfall = {
  resource: TQuotaResource;
  hard: string;
  used: string;
  requested: string;
  available: string;
};

export type TQuotaFit =
  { isFit: true } | { isFit: false; shortfalls: TQuotaShortfall[]; message: string };

const kindOf = (resource: TQuotaResource) =>
  resource === "pods" ? "count" : resource.endsWith("cpu") ? "cpu" : "memory";

// A bare "cpu"/"memory" in a quota means requests.* (Kubernetes' own alias).
function amount(amounts: TQuotaAmounts, resource: TQuotaResource): string | number | undefined {
  if (amounts[resource] !== undefined) return amounts[resource];
  if (resource === "requests.cpu") return amounts.cpu;
  if (resource === "requests.memory") return amounts.memory;
  return undefined;
}

/**
 * Whether `request` fits in what `quota` (hard) leaves after `used`. A resource the quota does not
 * limit always fits. Pure: the driver passes the ResourceQuota's status.
 */
export function checkQuotaFit(
  quota: TQuotaAmounts,
  used: TQuotaAmounts,
  request: TQuotaAmounts,
): TQuotaFit {
  const shortfalls: TQuotaShortfall[] = [];
  for (const resource of QUOTA_RESOURCES) {
    const hard = amount(quota, resource);
    const wanted = amount(request, resource);
    if (hard === undefined || wanted === undefined) continue;
    const hardMilli = toMilli(hard);
    const usedMilli = toMilli(amount(used, resource) ?? 0);
    const wantedMilli = toMilli(wanted);
    if (usedMilli + wantedMilli <= hardMilli) continue;
    const kind = kindOf(resource);
    shortfalls.push({
      resource,
      hard: formatMilli(hardMilli, kind),
      used: formatMilli(usedMilli, kind),
      requested: formatMilli(wantedMilli, kind),
      available: formatMilli(Math.max(0, hardMilli - usedMilli), kind),
    });
  }
  if (!shortfalls.length) return { isFit: true };
  const parts = shortfalls.map(
    (s) =>
      `${s.resource}: needs ${s.requested}, ${s.available} of ${s.hard} left (${s.used} in use)`,
  );
  return {
    isFit: false,
    shortfalls,
    message: `does not fit the namespace quota — ${parts.join("; ")}`,
  };
}

/**
 * What a deploy adds to the namespace at its peak: every replica for a new deployment; for a rolling
 * update of a running one (its pods already counted in `used`), the one surge pod.
 */
export function deploymentQuotaRequest(
  input: TModelDeploymentSpecInput,
  phase: "create" | "update",
): Required<Pick<TQuotaAmounts, TQuotaResource>> {
  const spec = parseModelDeploymentSpec(input);
  const replicas = spec.replicas === 0 ? 0 : (spec.autoscaling?.minReplicas ?? spec.replicas);
  const pods = phase === "create" ? replicas : Math.min(replicas, 1);
  const { requests, limits } = spec.resources;
  const times = (quantity: string) => `${toMilli(quantity) * pods}m`;
  return {
    pods,
    "requests.cpu": times(requests.cpu),
    "requests.memory": times(requests.memory),
    "limits.cpu": times(limits.cpu),
    "limits.memory": times(limits.memory),
  };
}
