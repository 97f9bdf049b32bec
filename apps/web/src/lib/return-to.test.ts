import { describe, expect, it } from "vitest";
import { safeReturnTo } from "./return-to";

describe("safeReturnTo", () => {
  it("keeps a path on this site, with its query", () => {
    expect(safeReturnTo("/models/abc?tab=versions")).toBe("/models/abc?tab=versions");
    expect(safeReturnTo(["/keys", "/other"])).toBe("/keys");
  });

  it.each([
    ["https://evil.example/"],
    ["//evil.example/path"],
    ["/\\evil.example"],
    ["javascript:alert(1)"],
    [""],
    [undefined],
    ["/login?callbackUrl=/keys"],
    ["/logout"],
  ])("sends %s home instead", (value) => {
    expect(safeReturnTo(value)).toBe("/");
  });
});
