// Exactly what the kubernetes runtime driver may do, where, and why. deploy/k8s/base/rbac.yaml grants
// this and nothing more (a deploy test compares the two). Three scopes:
// - cluster: bound cluster-wide, only what cannot live in a namespace (and the bootstrap of a tenant);
// - tenant: a ClusterRole bound by a RoleBinding in each tenant namespace (`buildTenantRoleBinding`),
//   so nothing here reaches any other namespace;
// - platform: a Role in the platform namespace, for objects that must sit beside the API Service.
// The admission policy in the same folder fences the cluster scope to `kubeserve-u-*` namespaces.

export type TDriverPermission = {
  scope: "cluster" | "tenant" | "platform";
  apiGroup: string;
  resource: string;
  verbs: string[];
  resourceNames?: string[];
  why: string;
};

/** The ClusterRole each tenant namespace binds to the API's service account. */
export const TENANT_DRIVER_ROLE = "kubeserve-tenant-driver";

// Server-side apply of an object that does not exist yet is authorised as `create` too.
const apply = ["create", "patch"];

export const DRIVER_PERMISSIONS: TDriverPermission[] = [
  {
    scope: "cluster",
    apiGroup: "",
    resource: "namespaces",
    verbs: ["get", ...apply, "delete"],
    why: "create a user's namespace on first deploy, check it, delete it when the user is removed",
  },
  {
    scope: "cluster",
    apiGroup: "rbac.authorization.k8s.io",
    resource: "rolebindings",
    verbs: apply,
    why: "bind the tenant role in a new tenant namespace (the admission policy allows no other)",
  },
  {
    scope: "cluster",
    apiGroup: "rbac.authorization.k8s.io",
    resource: "clusterroles",
    verbs: ["bind"],
    resourceNames: [TENANT_DRIVER_ROLE],
    why: "bind the tenant role without holding its permissions cluster-wide",
  },
  {
    scope: "tenant",
    apiGroup: "",
    resource: "resourcequotas",
    verbs: ["get", ...apply],
    why: "apply the quota; read status.used for the pre-flight fit check",
  },
  {
    scope: "tenant",
    apiGroup: "",
    resource: "limitranges",
    verbs: apply,
    why: "apply the per-namespace defaults",
  },
  {
    scope: "tenant",
    apiGroup: "networking.k8s.io",
    resource: "networkpolicies",
    verbs: apply,
    why: "apply the tenant isolation policy",
  },
  {
    scope: "tenant",
    apiGroup: "apps",
    resource: "deployments",
    verbs: ["get", "list", "watch", ...apply, "delete"],
    why: "apply, scale and update model Deployments; watch their status; remove by label",
  },
  {
    scope: "tenant",
    apiGroup: "",
    resource: "services",
    verbs: ["list", ...apply, "delete"],
    why: "apply the ClusterIP model Service; remove by label",
  },
  {
    scope: "tenant",
    apiGroup: "autoscaling",
    resource: "horizontalpodautoscalers",
    verbs: ["list", ...apply, "delete"],
    why: "apply autoscaling; delete it when a deployment stops or autoscaling is turned off",
  },
  {
    scope: "tenant",
    apiGroup: "policy",
    resource: "poddisruptionbudgets",
    verbs: ["list", ...apply, "delete"],
    why: "apply the PDB above one replica; delete it below",
  },
  {
    scope: "tenant",
    apiGroup: "gateway.networking.k8s.io",
    resource: "httproutes",
    verbs: ["list", ...apply, "delete"],
    why: "apply a deployment's public route to the gateway; remove by label",
  },
  {
    scope: "tenant",
    apiGroup: "monitoring.coreos.com",
    resource: "servicemonitors",
    verbs: ["list", ...apply, "delete"],
    why: "let Prometheus scrape model servers; remove by label",
  },
  {
    scope: "tenant",
    apiGroup: "",
    resource: "secrets",
    verbs: [...apply, "delete"],
    why: "write and delete a deployment's artifact read token by name; never list or read Secrets",
  },
  {
    scope: "tenant",
    apiGroup: "",
    resource: "pods",
    verbs: ["get", "list", "watch"],
    why: "map pod states (ImagePullBackOff, CrashLoopBackOff, OOMKilled, Unschedulable) to reasons",
  },
  {
    scope: "tenant",
    apiGroup: "",
    resource: "pods/log",
    verbs: ["get"],
    why: "stream a deployment's logs",
  },
  {
    scope: "tenant",
    apiGroup: "",
    resource: "events",
    verbs: ["list", "watch"],
    why: "read FailedCreate (quota exceeded) and scheduling events for status reasons",
  },
  {
    scope: "platform",
    apiGroup: "gateway.networking.k8s.io",
    resource: "referencegrants",
    verbs: [...apply, "delete"],
    why: "let a tenant namespace's HTTPRoutes name the API Service",
  },
  {
    scope: "platform",
    apiGroup: "networking.k8s.io",
    resource: "ingresses",
    verbs: ["list", ...apply, "delete"],
    why: "a deployment's Ingress must sit beside the API Service it points at",
  },
];
