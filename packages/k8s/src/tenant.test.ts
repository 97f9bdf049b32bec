import { describe, expect, it } from "vitest";
import { LABEL } from "./labels";
import { namespaceForUser } from "./names";
import { buildGatewayReferenceGrant } from "./routing";
import {
  buildTenantLimitRange,
  buildTenantManifests,
  buildTenantNetworkPolicy,
  buildTenantResourceQuota,
  buildTenantRoleBinding,
  MODEL_SERVER_PORT,
} from "./tenant";
import { ids, tenantInput } from "./testing/fixtures";
import { validateManifest } from "./testing/validate";

describe("tenant manifests", () => {
  it("validate against the Kubernetes schemas, in apply order, all in the user's namespace", () => {
    const objects = buildTenantManifests(tenantInput());
    expect(objects.map((o) => o.kind)).toEqual([
      "Namespace",
      "RoleBinding",
      "ResourceQuota",
      "LimitRange",
      "NetworkPolicy",
    ]);
    for (const object of objects) validateManifest(object);
    const namespace = namespaceForUser(ids.user);
    expect(objects[0].metadata?.name).toBe(namespace);
    for (const object of objects.slice(1)) expect(object.metadata?.namespace).toBe(namespace);
  });

  it("are identical on every build (idempotent apply)", () => {
    expect(buildTenantManifests(tenantInput())).toEqual(buildTenantManifests(tenantInput()));
  });

  it("label the namespace for the gateway, the admission policy and restricted pod security", () => {
    const labels = buildTenantManifests(tenantInput())[0].metadata?.labels;
    expect(labels).toMatchObject({
      [LABEL.tenant]: "true",
      [LABEL.ownerId]: ids.user,
      [LABEL.managedBy]: "kubeserve",
      "pod-security.kubernetes.io/enforce": "restricted",
    });
  });

  it("quota defaults to 2 CPU, 4 GiB and 5 pods, and no node ports or load balancers", () => {
    expect(buildTenantResourceQuota(tenantInput()).spec?.hard).toEqual({
      "requests.cpu": "2",
      "requests.memory": "4Gi",
      "limits.cpu": "2",
      "limits.memory": "4Gi",
      pods: "5",
      "services.loadbalancers": "0",
      "services.nodeports": "0",
    });
  });

  it("quota is configurable per user", () => {
    const quota = buildTenantResourceQuota(
      tenantInput({ quota: { cpu: "8", memory: "16Gi", pods: 20 } }),
    );
    expect(quota.spec?.hard).toMatchObject({
      "requests.cpu": "8",
      "limits.memory": "16Gi",
      pods: "20",
    });
  });

  it("limit range gives containers defaults and caps one container at the quota", () => {
    const [limit] = buildTenantLimitRange(tenantInput()).spec?.limits ?? [];
    expect(limit).toEqual({
      type: "Container",
      defaultRequest: { cpu: "100m", memory: "128Mi" },
      default: { cpu: "1", memory: "1Gi" },
      max: { cpu: "2", memory: "4Gi" },
    });
  });
});

describe("tenant RoleBinding", () => {
  it("binds the tenant role to the API's service account in this namespace only", () => {
    const binding = buildTenantRoleBinding(tenantInput());
    validateManifest(binding);
    expect(binding.metadata?.namespace).toBe(namespaceForUser(ids.user));
    expect(binding.roleRef).toEqual({
      apiGroup: "rbac.authorization.k8s.io",
      kind: "ClusterRole",
      name: "kubeserve-tenant-driver",
    });
    expect(binding.subjects).toEqual([
      { kind: "ServiceAccount", name: "kubeserve-api", namespace: "kubeserve" },
    ]);
  });
});

describe("tenant NetworkPolicy", () => {
  it("admits only the gateway pods, monitoring and ingress-controller namespaces, on the model port", () => {
    const policy = buildTenantNetworkPolicy(
      tenantInput({ network: { ingressControllerNamespaces: ["envoy-gateway-system"] } }),
    );
    validateManifest(policy);
    expect(policy.spec?.podSelector).toEqual({});
    expect(policy.spec?.policyTypes).toEqual(["Ingress", "Egress"]);
    expect(policy.spec?.ingress).toEqual([
      {
        from: [
          {
            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kubeserve" } },
            podSelector: { matchLabels: { "app.kubernetes.io/name": "kubeserve-api" } },
          },
          { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } },
          {
            namespaceSelector: {
              matchLabels: { "kubernetes.io/metadata.name": "envoy-gateway-system" },
            },
          },
        ],
        ports: [{ protocol: "TCP", port: MODEL_SERVER_PORT }],
      },
    ]);
  });

  it("lets pods out only to DNS and the API's artifact endpoint by default", () => {
    const egress = buildTenantNetworkPolicy(tenantInput()).spec?.egress ?? [];
    expect(egress).toHaveLength(2);
    expect(egress[0]?.ports).toEqual([
      { protocol: "UDP", port: 53 },
      { protocol: "TCP", port: 53 },
    ]);
    expect(egress[0]?.to?.[0]?.podSelector?.matchLabels).toEqual({ "k8s-app": "kube-dns" });
    expect(egress[1]).toEqual({
      to: [
        {
          namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kubeserve" } },
          podSelector: { matchLabels: { "app.kubernetes.io/name": "kubeserve-api" } },
        },
      ],
      ports: [{ protocol: "TCP", port: 4000 }],
    });
    // No rule without `to` (that would allow every destination).
    expect(egress.every((rule) => (rule.to?.length ?? 0) > 0)).toBe(true);
  });

  it("adds object storage and the package index only when configured", () => {
    const policy = buildTenantNetworkPolicy(
      tenantInput({
        network: {
          objectStorage: { namespace: "minio", podLabels: { app: "minio" }, ports: [9000] },
          packageIndex: { cidrs: ["203.0.113.10/32"], ports: [443] },
        },
      }),
    );
    validateManifest(policy);
    const egress = policy.spec?.egress ?? [];
    expect(egress).toHaveLength(4);
    expect(egress[2]).toEqual({
      to: [
        {
          namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "minio" } },
          podSelector: { matchLabels: { app: "minio" } },
        },
      ],
      ports: [{ protocol: "TCP", port: 9000 }],
    });
    expect(egress[3]).toEqual({
      to: [{ ipBlock: { cidr: "203.0.113.10/32" } }],
      ports: [{ protocol: "TCP", port: 443 }],
    });
  });
});

describe("ReferenceGrant for HTTPRoutes", () => {
  it("lets only this tenant's HTTPRoutes name only the API Service, in the platform namespace", () => {
    const grant = buildGatewayReferenceGrant(tenantInput());
    validateManifest(grant);
    expect(grant.metadata?.namespace).toBe("kubeserve");
    expect(grant.spec).toEqual({
      from: [
        {
          group: "gateway.networking.k8s.io",
          kind: "HTTPRoute",
          namespace: namespaceForUser(ids.user),
        },
      ],
      to: [{ group: "", kind: "Service", name: "kubeserve-api" }],
    });
  });
});
