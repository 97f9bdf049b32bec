import { describe, expect, it } from "vitest";
import { isDnsLabel, ZModelName, ZVersionTag } from "./names";

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
