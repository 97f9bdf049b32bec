import { describe, expect, it } from "vitest";
import {
  artifactTokenSecretName,
  deploymentResourceName,
  isDnsLabel,
  namespaceForUser,
  parseRayApplicationName,
  rayApplicationName,
  rayRoutePrefix,
  ZModelName,
  ZVersionTag,
} from "./names";

describe("ZModelName", () => {
  it.each(["iris", "a", "fraud-detector-2", "x".repeat(40)])("accepts %j", (name) => {
    expect(ZModelName.parse(name)).toBe(name);
  });

  it.each([
    "",
    "Iris",
    "1iris",
    "-iris",
    "iris-",
    "iris_v2",
    "iris.v2",
    "x".repeat(41),
    "iris detector",
    "'; DROP TABLE models; --",
    "ïris",
  ])("rejects %j with the rule in the message", (name) => {
    const result = ZModelName.safeParse(name);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(/lowercase letters, digits and '-'/);
  });
});

describe("ZVersionTag", () => {
  it.each(["v1", "1", "2.0.1", "release_3", "x".repeat(32)])("accepts %j", (tag) => {
    expect(ZVersionTag.parse(tag)).toBe(tag);
  });

  it.each(["", "V1", ".v1", "v1.", "v 1", "v1/2", "x".repeat(33)])("rejects %j", (tag) => {
    expect(ZVersionTag.safeParse(tag).success).toBe(false);
  });
});

describe("isDnsLabel", () => {
  it("applies the Kubernetes 63-character limit by default", () => {
    expect(isDnsLabel("a".repeat(63))).toBe(true);
    expect(isDnsLabel("a".repeat(64))).toBe(false);
  });
});

describe("derived Kubernetes names", () => {
  const userId = "0190A6F2-7C1E-7A3B-9C4D-5E6F7A8B9C0D";

  it("give every user one stable DNS-safe namespace", () => {
    const namespace = namespaceForUser(userId);
    expect(namespace).toBe("kubeserve-u-0190a6f27c1e7a3b9c4d5e6f7a8b9c0d");
    expect(isDnsLabel(namespace)).toBe(true);
    expect(namespaceForUser(userId.toLowerCase())).toBe(namespace);
    expect(namespaceForUser("0190a6f2-7c1e-7a3b-9c4d-5e6f7a8b9c0e")).not.toBe(namespace);
  });

  it("name a deployment's objects from its id, leaving room for suffixes", () => {
    const name = deploymentResourceName(userId);
    expect(name).toBe("kd-0190a6f27c1e7a3b9c4d5e6f7a8b9c0d");
    expect(isDnsLabel(`${name}-token`)).toBe(true);
    expect(artifactTokenSecretName(userId)).toBe(`${name}-token`);
  });

  it("refuse what is not a UUID, so no name can be smuggled into a namespace", () => {
    for (const bad of ["", "kube-system", "../x", "0190a6f2-7c1e-7a3b-9c4d-5e6f7a8b9c0d-x"]) {
      expect(() => namespaceForUser(bad)).toThrow(/User id must be a UUID/);
      expect(() => deploymentResourceName(bad)).toThrow(/Deployment id must be a UUID/);
    }
  });

  it("recognise only KubeServe's own Ray applications", () => {
    const id = userId.toLowerCase();
    expect(rayApplicationName(userId)).toBe(`kubeserve-${id}`);
    expect(rayRoutePrefix(id)).toBe(`/kubeserve/${id}`);
    expect(parseRayApplicationName(`kubeserve-${id}`)).toBe(id);
    expect(parseRayApplicationName("kubeserve-other")).toBeUndefined();
    expect(parseRayApplicationName(`team-a-${id}`)).toBeUndefined();
  });
});
