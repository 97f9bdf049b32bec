import { describe, expect, it } from "vitest";
import { findMetadataProblem } from "./metadata";

describe("findMetadataProblem", () => {
  it("refuses a million levels of nesting at once, without recursion", () => {
    let value: unknown = 0;
    for (let i = 0; i < 1_000_000; i++) value = [value];
    const started = Date.now();
    expect(findMetadataProblem({ a: value })?.message).toMatch(/nested deeper than 32 levels/);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it("refuses a cycle instead of looping", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(findMetadataProblem(cyclic)?.message).toMatch(/nested deeper/);
  });

  it("measures the size as JSON.stringify writes it", () => {
    const exactly = { s: "é".repeat(Math.floor((64 * 1024 - 8) / 2)) };
    expect(Buffer.byteLength(JSON.stringify(exactly))).toBeLessThanOrEqual(64 * 1024);
    expect(findMetadataProblem(exactly)).toBeUndefined();
    expect(findMetadataProblem({ s: `${exactly.s}éé` })?.message).toMatch(/at most 64 KB/);
  });

  it("names the path of the offending value", () => {
    expect(findMetadataProblem({ a: { b: ["ok", "bad\u0000"] } })?.path).toEqual(["a", "b", 1]);
  });
});
