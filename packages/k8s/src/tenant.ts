import type { ILimitRange } from "kubernetes-models/v1/LimitRange";
import type { INamespace } from "kubernetes-models/v1/Namespace";
import type { IResourceQuota } from "kubernetes-models/v1/ResourceQuota";
import type { INetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import type { INetworkPolicyEgressRule as TEgressRule } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicyEgressRule";
import type { INetworkPolicyPeer as TPeer } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicyPeer";
import type { IRoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding";
import { LABEL, tenantLabels } from "./labels";
import { namespaceForUser } from "./names";
import { TENANT_DRIVER_ROLE } from "./rbac";
import { parseTenantSpec, type TTenantSpec, type TTenantSpecInput } from "./spec";

// Per-user objects, created on a user's first Kubernetes deploy and re-applied idempotently.

export const MODEL_SERVER_PORT = 8080;
export const TENANT_QUOTA_NAME = "kubeserve-quota";
export const TENANT_LIMIT_RANGE_NAME = "kubeserve-limits";
export const TENANT_NETWORK_POLICY_NAME = "kubeserve-isolation";
export const TENANT_ROLE_BINDING_NAME = "kubeserve-driver";

const namespaceKey = "kubernetes.io/metadata.name";

function meta(spec: TTenantSpec, name: string, component: string) {
  return {
    name,
    namespace: namespaceForUser(spec.userId),
    labels: tenantLabels({ userId: spec.userId }, component),
  };
}

export function buildTenantNamespace(input: TTenantSpecInput): INamespace {
  const spec = parseTenantSpec(input);
  return {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: {
      name: namespaceForUser(spec.userId),
      labels: {
        ...tenantLabels({ userId: spec.userId }, "tenant"),
        [LABEL.tenant]: "true",
        // Pod Security Admission: model pods meet the "restricted" profile, so enforce it.
        "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/enforce-version": "latest",
      },
    },
  };
}

export function buildTenantResourceQuota(input: TTenantSpecInput): IResourceQuota {
  const spec = parseTenantSpec(input);
  const { cpu, memory, pods } = spec.quota;
  return {
    apiVersion: "v1",
    kind: "ResourceQuota",
    metadata: meta(spec, TENANT_QUOTA_NAME, "quota"),
    spec: {
      hard: {
        "requests.cpu": cpu,
        "requests.memory": memory,
        "limits.cpu": cpu,
        "limits.memory": memory,
        pods: String(pods),
        // Model Services are ClusterIP only: nothing in a tenant namespace may open a node port.
        "services.loadbalancers": "0",
        "services.nodeports": "0",
      },
    },
  };
}

export function buildTenantLimitRange(input: TTenantSpecInput): ILimitRange {
  const spec = parseTenantSpec(input);
  const { defaultRequest, defaultLimit } = spec.limitRange;
  return {
    apiVersion: "v1",
    kind: "LimitRange",
    metadata: meta(spec, TENANT_LIMIT_RANGE_NAME, "limits"),
    spec: {
      limits: [
        {
          type: "Container",
          defaultRequest: { cpu: defaultRequest.cpu, memory: defaultRequest.memory },
          default: { cpu: defaultLimit.cpu, memory: defaultLimit.memory },
          max: { cpu: spec.quota.cpu, memory: spec.quota.memory },
        },
      ],
    },
  };
}

function namespacePeer(namespace: string, podLabels?: Record<string, string>): TPeer {
  return {
    namespaceSelector: { matchLabels: { [namespaceKey]: namespace } },
    ...(podLabels ? { podSelector: { matchLabels: podLabels } } : {}),
  };
}

function egressTo(target: NonNullable<TTenantSpec["network"]["objectStorage"]>): TEgressRule {
  const peers: TPeer[] = target.cidrs.map((cidr) => ({ ipBlock: { cidr } }));
  if (target.namespace) peers.push(namespacePeer(target.namespace, target.podLabels));
  return { to: peers, ports: target.ports.map((port) => ({ protocol: "TCP", port })) };
}

/**
 * Ingress only from the gateway (API pods in the platform namespace), monitoring and ingress-controller
 * namespaces, on the model port; egress only DNS, the API's artifact endpoint, and object storage or a
 * package index when configured. Everything else in and out of the namespace is denied.
 */
export function buildTenantNetworkPolicy(input: TTenantSpecInput): INetworkPolicy {
  const spec = parseTenantSpec(input);
  const { network, platform } = spec;
  const from: TPeer[] = [
    namespacePeer(platform.namespace, platform.apiPodLabels),
    ...network.monitoringNamespaces.map((ns) => namespacePeer(ns)),
    ...network.ingressControllerNamespaces.map((ns) => namespacePeer(ns)),
  ];
  const egress: TEgressRule[] = [
    {
      to: [namespacePeer(network.dns.namespace, network.dns.podLabels)],
      ports: [
        { protocol: "UDP", port: 53 },
        { protocol: "TCP", port: 53 },
      ],
    },
    {
      to: [namespacePeer(platform.namespace, platform.apiPodLabels)],
      ports: [{ protocol: "TCP", port: platform.apiPort }],
    },
  ];
  if (network.objectStorage) egress.push(egressTo(network.objectStorage));
  if (network.packageIndex) egress.push(egressTo(network.packageIndex));
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: meta(spec, TENANT_NETWORK_POLICY_NAME, "network-policy"),
    spec: {
      podSelector: {},
      policyTypes: ["Ingress", "Egress"],
      ingress: [{ from, ports: [{ protocol: "TCP", port: MODEL_SERVER_PORT }] }],
      egress,
    },
  };
}

/**
 * Grants the API's service account the tenant role in this namespace only; applied right after the
 * namespace, since every other tenant object is written with the permissions it grants.
 */
export function buildTenantRoleBinding(input: TTenantSpecInput): IRoleBinding {
  const spec = parseTenantSpec(input);
  return {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    metadata: meta(spec, TENANT_ROLE_BINDING_NAME, "driver-access"),
    roleRef: {
      apiGroup: "rbac.authorization.k8s.io",
      kind: "ClusterRole",
      name: TENANT_DRIVER_ROLE,
    },
    subjects: [
      {
        kind: "ServiceAccount",
        name: spec.platform.apiServiceAccount,
        namespace: spec.platform.namespace,
      },
    ],
  };
}

export type TTenantManifests = [
  INamespace,
  IRoleBinding,
  IResourceQuota,
  ILimitRange,
  INetworkPolicy,
];

/** In apply order: the namespace, the driver's access to it, then what lives in it. */
export function buildTenantManifests(input: TTenantSpecInput): TTenantManifests {
  return [
    buildTenantNamespace(input),
    buildTenantRoleBinding(input),
    buildTenantResourceQuota(input),
    buildTenantLimitRange(input),
    buildTenantNetworkPolicy(input),
  ];
}
