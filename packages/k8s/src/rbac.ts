// Exactly what the kubernetes runtime driver may do, and why. deploy/k8s/base/rbac.yaml must grant
// this and nothing more (a deploy test compares the two).

export type TDriverPermission = {
  apiGroup: string;
  resource: string;
  verbs: string[];
  why: string;
};

// Server-side apply of an object that does not exist yet is authorised as `create` too.
const apply = ["create", "patch"];

export const DRIVER_PERMISSIONS: TDriverPermission[] = [
  {
    apiGroup: "",
    resource: "namespaces",
    verbs: ["get", ...apply, "delete"],
    why: "create a user's namespace on first deploy, check it, delete it when the user is removed",
  },
  {
    apiGroup: "",
    resource: "resourcequotas",
    verbs: ["get", ...apply],
    why: "apply the quota; read status.used for the pre-flight fit check",
  },
  { apiGroup: "", resource: "limitranges", verbs: apply, why: "apply the per-namespace defaults" },
  {
    apiGroup: "networking.k8s.io",
    resource: "networkpolicies",
    verbs: apply,
    why: "apply the tenant isolation policy",
  },
  {
    apiGroup: "apps",
    resource: "deployments",
    verbs: ["get", "list", "watch", ...apply, "delete"],
    why: "apply, scale and update model Deployments; watch their status; remove by label",
  },
  {
    apiGroup: "",
    resource: "services",
    verbs: ["list", ...apply, "delete"],
    why: "apply the ClusterIP model Service; remove by label",
  },
  {
    apiGroup: "autoscaling",
    resource: "horizontalpodautoscalers",
    verbs: ["list", ...apply, "delete"],
    why: "apply autoscaling; delete it when a deployment stops or autoscaling is turned off",
  },
  {
    apiGroup: "policy",
    resource: "poddisruptionbudgets",
    verbs: ["list", ...apply, "delete"],
    why: "apply the PDB above one replica; delete it below",
  },
  {
    apiGroup: "gateway.networking.k8s.io",
    resource: "httproutes",
    verbs: ["list", ...apply, "delete"],
    why: "apply a deployment's public route to the gateway; remove by label",
  },
  {
    apiGroup: "gateway.networking.k8s.io",
    resource: "referencegrants",
    verbs: [...apply, "delete"],
    why: "let a tenant namespace's HTTPRoutes name the API Service (platform namespace)",
  },
  {
    apiGroup: "networking.k8s.io",
    resource: "ingresses",
    verbs: ["list", ...apply, "delete"],
    why: "apply a deployment's Ingress to the gateway when Ingress routing is configured",
  },
  {
    apiGroup: "monitoring.coreos.com",
    resource: "servicemonitors",
    verbs: ["list", ...apply, "delete"],
    why: "let Prometheus scrape model servers; remove by label",
  },
  {
    apiGroup: "",
    resource: "secrets",
    verbs: [...apply, "delete"],
    why: "write and delete a deployment's artifact read token by name; never list or read Secrets",
  },
  {
    apiGroup: "",
    resource: "pods",
    verbs: ["get", "list", "watch"],
    why: "map pod states (ImagePullBackOff, CrashLoopBackOff, OOMKilled, Unschedulable) to reasons",
  },
  { apiGroup: "", resource: "pods/log", verbs: ["get"], why: "stream a deployment's logs" },
  {
    apiGroup: "",
    resource: "events",
    verbs: ["list", "watch"],
    why: "read FailedCreate (quota exceeded) and scheduling events for status reasons",
  },
];
