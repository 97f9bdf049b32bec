import { describe, expect, it } from "vitest";
import { formatMilli, toMilli } from "./quantity";
import { checkQuotaFit, deploymentQuotaRequest } from "./quota";
import { buildTenantResourceQuota } from "./tenant";
import { deploymentInput, tenantInput } from "./testing/fixtures";

describe("quantities", () => {
  it.each([
    ["100m", 100],
    ["0.3", 300],
    ["2", 2000],
    ["1.5", 1500],
    [".5", 500],
    ["1Ki", 1_024_000],
    ["4Gi", 4 * 2 ** 30 * 1000],
    ["1.5Gi", 1.5 * 2 ** 30 * 1000],
    ["1k", 1_000_000],
    ["1e3", 1_000_000],
    ["1n", 1],
    ["512Mi", 512 * 2 ** 20 * 1000],
  ])("%s = %d milli", (text, milli) => {
    expect(toMilli(text)).toBe(milli);
  });

  it("rejects what is not a quantity", () => {
    expect(() => toMilli("2 cores")).toThrow(/not a Kubernetes quantity/);
    expect(() => toMilli("1GB")).toThrow(/not a Kubernetes quantity/);
  });

  it("formats for messages", () => {
    expect(formatMilli(toMilli("4Gi"), "memory")).toBe("4Gi");
    expect(formatMilli(toMilli("1536Mi"), "memory")).toBe("1536Mi");
    expect(formatMilli(toMilli("250m"), "cpu")).toBe("250m");
    expect(formatMilli(toMilli("2"), "cpu")).toBe("2");
  });
});

describe("checkQuotaFit", () => {
  const hard = buildTenantResourceQuota(tenantInput()).spec?.hard ?? {};

  it("fits a default deployment into the default quota of an empty namespace", () => {
    expect(checkQuotaFit(hard, {}, deploymentQuotaRequest(deploymentInput(), "create"))).toEqual({
      isFit: true,
    });
  });

  it("fits exactly at the limit", () => {
    expect(
      checkQuotaFit(
        { "requests.cpu": "2" },
        { "requests.cpu": "1500m" },
        { "requests.cpu": "500m" },
      ),
    ).toEqual({ isFit: true });
  });

  it("names each resource that does not fit, with what is left", () => {
    const used = {
      pods: "4",
      "requests.cpu": "1750m",
      "requests.memory": "1Gi",
      "limits.cpu": "1",
      "limits.memory": "3Gi",
    };
    const request = deploymentQuotaRequest(deploymentInput({ replicas: 2 }), "create");
    const fit = checkQuotaFit(hard, used, request);
    expect(fit.isFit).toBe(false);
    if (fit.isFit) return;
    expect(fit.shortfalls.map((s) => s.resource)).toEqual([
      "pods",
      "requests.cpu",
      "limits.cpu",
      "limits.memory",
    ]);
    expect(fit.shortfalls[0]).toEqual({
      resource: "pods",
      hard: "5",
      used: "4",
      requested: "2",
      available: "1",
    });
    expect(fit.message).toContain("requests.cpu: needs 500m, 250m of 2 left (1750m in use)");
    expect(fit.message).toContain("limits.memory: needs 2Gi, 1Gi of 4Gi left (3Gi in use)");
  });

  it("treats a resource the quota does not limit as always fitting", () => {
    expect(checkQuotaFit({ pods: "10" }, {}, { "requests.cpu": "64", pods: 1 })).toEqual({
      isFit: true,
    });
  });

  it("reads the 'cpu'/'memory' shorthand as requests", () => {
    const fit = checkQuotaFit({ cpu: "1" }, { cpu: "900m" }, { "requests.cpu": "200m" });
    expect(fit.isFit).toBe(false);
  });

  it("a rolling update only needs room for the surge pod", () => {
    const spec = deploymentInput({ replicas: 3 });
    expect(deploymentQuotaRequest(spec, "create").pods).toBe(3);
    expect(deploymentQuotaRequest(spec, "update")).toEqual({
      pods: 1,
      "requests.cpu": "250m",
      "requests.memory": `${toMilli("512Mi")}m`,
      "limits.cpu": "1000m",
      "limits.memory": `${toMilli("1Gi")}m`,
    });
    // Three replicas already running use 3 of 5 pods: the surge pod fits.
    expect(
      checkQuotaFit(
        hard,
        { pods: "3", "requests.cpu": "750m", "limits.cpu": "3" },
        deploymentQuotaRequest(spec, "update"),
      ).isFit,
    ).toBe(false);
    expect(
      checkQuotaFit(
        { ...hard, "limits.cpu": "4" },
        { pods: "3", "requests.cpu": "750m", "limits.cpu": "3" },
        deploymentQuotaRequest(spec, "update"),
      ).isFit,
    ).toBe(true);
  });

  it("counts the autoscaling minimum, and nothing for a stopped deployment", () => {
    expect(
      deploymentQuotaRequest(
        deploymentInput({ replicas: 3, autoscaling: { minReplicas: 2, maxReplicas: 4 } }),
        "create",
      ).pods,
    ).toBe(2);
    expect(deploymentQuotaRequest(deploymentInput({ replicas: 0 }), "create").pods).toBe(0);
  });
});
