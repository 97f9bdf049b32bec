import type { ServerResponse } from "node:http";

// Paths, resources, label selectors, discovery and Status replies of the fake Kubernetes API server
// (kubernetes-fake-api.ts).

export type TObject = {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    resourceVersion?: string;
    uid?: string;
    generation?: number;
    [key: string]: unknown;
  };
  spec?: unknown;
  [key: string]: unknown;
};

export type TResource = {
  groupVersion: string;
  plural: string;
  kind: string;
  isNamespaced: boolean;
};

export const resources: TResource[] = [
  ["v1", "namespaces", "Namespace", false],
  ["v1", "services", "Service", true],
  ["v1", "secrets", "Secret", true],
  ["v1", "pods", "Pod", true],
  ["v1", "events", "Event", true],
  ["v1", "resourcequotas", "ResourceQuota", true],
  ["v1", "limitranges", "LimitRange", true],
  ["apps/v1", "deployments", "Deployment", true],
  ["autoscaling/v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", true],
  ["policy/v1", "poddisruptionbudgets", "PodDisruptionBudget", true],
  ["networking.k8s.io/v1", "networkpolicies", "NetworkPolicy", true],
  ["networking.k8s.io/v1", "ingresses", "Ingress", true],
  ["rbac.authorization.k8s.io/v1", "rolebindings", "RoleBinding", true],
  ["monitoring.coreos.com/v1", "servicemonitors", "ServiceMonitor", true],
  ["gateway.networking.k8s.io/v1", "httproutes", "HTTPRoute", true],
  ["ray.io/v1", "rayservices", "RayService", true],
].map(([groupVersion, plural, kind, isNamespaced]) => ({
  groupVersion: groupVersion as string,
  plural: plural as string,
  kind: kind as string,
  isNamespaced: isNamespaced as boolean,
}));

export type TTarget = {
  resource: TResource;
  namespace: string | undefined;
  name: string | undefined;
  sub: string | undefined;
};

/** `/api/v1/namespaces/ns/pods/name/log`, `/apis/apps/v1/namespaces/ns/deployments`, `/api/v1/namespaces/x`. */
export function parsePath(path: string): TTarget | undefined {
  const parts = path.split("/").filter(Boolean);
  let groupVersion: string;
  let rest: string[];
  if (parts[0] === "api" && parts[1] === "v1") [groupVersion, rest] = ["v1", parts.slice(2)];
  else if (parts[0] === "apis" && parts.length >= 3)
    [groupVersion, rest] = [`${parts[1]}/${parts[2]}`, parts.slice(3)];
  else return undefined;
  let namespace: string | undefined;
  if (rest[0] === "namespaces" && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const resource = resources.find((r) => r.groupVersion === groupVersion && r.plural === rest[0]);
  if (!resource) return undefined;
  return { resource, namespace, name: rest[1], sub: rest[2] };
}

export function matchesSelector(
  labels: Record<string, string> | undefined,
  selector: string | null,
) {
  if (!selector) return true;
  return selector.split(",").every((term) => {
    const [key = "", value] = term.split(/!=|==|=/);
    const actual = labels?.[key.trim()];
    if (value === undefined) return actual !== undefined;
    return term.includes("!=") ? actual !== value.trim() : actual === value.trim();
  });
}

/** Server-side apply's merge for fields other managers own: maps merge, anything else is replaced. */
export function mergeApplied(stored: TObject, applied: TObject): TObject {
  const isMap = (value: unknown): value is Record<string, unknown> =>
    typeof value === "object" && value !== null && !Array.isArray(value);
  const merge = (a: unknown, b: unknown): unknown => {
    if (!isMap(a) || !isMap(b)) return structuredClone(b);
    const out: Record<string, unknown> = { ...a };
    for (const [key, value] of Object.entries(b)) out[key] = merge(a[key], value);
    return out;
  };
  return merge(stored, applied) as TObject;
}

export function sendStatus(res: ServerResponse, code: number, reason: string, message: string) {
  res.writeHead(code, { "content-type": "application/json" });
  res.end(
    JSON.stringify({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message,
      reason,
      code,
    }),
  );
}
export function sendJson(res: ServerResponse, body: unknown) {
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

/** Discovery documents (GET /api/v1, /apis/{group}/{version}) for the resources the fake serves. */
export function discovery(path: string, res: ServerResponse): boolean {
  const groupVersion = path === "/api/v1" ? "v1" : path.replace(/^\/apis\//, "");
  const list = resources.filter((r) => r.groupVersion === groupVersion);
  if (!list.length || !(path === "/api/v1" || path.startsWith("/apis/"))) return false;
  sendJson(res, {
    kind: "APIResourceList",
    apiVersion: "v1",
    groupVersion,
    resources: list.map((r) => ({
      name: r.plural,
      singularName: r.kind.toLowerCase(),
      namespaced: r.isNamespaced,
      kind: r.kind,
      verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
    })),
  });
  return true;
}
