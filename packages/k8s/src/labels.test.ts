import { describe, expect, it } from "vitest";
import { buildModelDeploymentManifests } from "./manifests";
import { deploymentSelector, FIELD_MANAGER, LABEL, ownerSelector } from "./labels";
import { buildGatewayReferenceGrant } from "./routing";
import { buildTenantManifests } from "./tenant";
import { deploymentInput, ids, tenantInput } from "./testing/fixtures";

// A minimal label-selector matcher (equality terms, as we build them) to check selectors against objects.
function matches(selector: string, labels: Record<string, string> | undefined): boolean {
  return selector.split(",").every((term) => {
    const [key, value] = term.split("=");
    return key !== undefined && labels?.[key] === value;
  });
}

describe("labels and selectors", () => {
  const deployment = buildModelDeploymentManifests(
    deploymentInput({
      replicas: 2,
      routing: { kind: "ingress", className: "nginx", host: "m.example.com" },
    }),
  ).apply;
  const other = buildModelDeploymentManifests(
    deploymentInput({ deploymentId: "0190a6f2-8000-7000-8000-0000000000d2", replicas: 2 }),
  ).apply;
  const otherUser = buildModelDeploymentManifests(
    deploymentInput({
      userId: ids.otherUser,
      deploymentId: "0190a6f2-8000-7000-8000-0000000000d3",
    }),
  ).apply;
  const tenant = [
    ...buildTenantManifests(tenantInput()),
    buildGatewayReferenceGrant(tenantInput()),
  ];

  it("the deployment selector finds every object of that deployment and nothing else", () => {
    const selector = deploymentSelector(ids.deployment);
    expect(selector).toBe(`${LABEL.managedBy}=kubeserve,${LABEL.deploymentId}=${ids.deployment}`);
    expect(deployment.every((o) => matches(selector, o.metadata?.labels))).toBe(true);
    expect(
      [...other, ...otherUser, ...tenant].some((o) => matches(selector, o.metadata?.labels)),
    ).toBe(false);
  });

  it("the owner selector finds the user's tenant objects and deployments, not another user's", () => {
    const selector = ownerSelector(ids.user);
    expect(
      [...deployment, ...other, ...tenant].every((o) => matches(selector, o.metadata?.labels)),
    ).toBe(true);
    expect(otherUser.some((o) => matches(selector, o.metadata?.labels))).toBe(false);
  });

  it("every object says it is part of and managed by KubeServe", () => {
    for (const object of [...deployment, ...tenant]) {
      expect(object.metadata?.labels?.[LABEL.partOf]).toBe("kubeserve");
      expect(object.metadata?.labels?.[LABEL.managedBy]).toBe("kubeserve");
    }
  });

  it("there is one field manager, and it is a valid one", () => {
    expect(FIELD_MANAGER).toBe("kubeserve");
    // The API server limits field managers to 128 printable characters.
    expect(FIELD_MANAGER).toMatch(/^[\x21-\x7e]{1,128}$/);
  });
});
