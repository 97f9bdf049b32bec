import { describe, expect, it } from "vitest";
import { formatBytes, formatColdStart, formatRelative, formatShape } from "./format";

describe("formatBytes", () => {
  it.each([
    [0, "0 B"],
    [1023, "1023 B"],
    [1024, "1 KB"],
    [1536, "1.5 KB"],
    [10 * 1024 * 1024 + 512 * 1024, "10.5 MB"],
    [2 * 1024 ** 3, "2 GB"],
    [150 * 1024 ** 2, "150 MB"],
  ])("%i bytes → %s", (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });

  it("shows a dash for nonsense", () => {
    expect(formatBytes(-1)).toBe("—");
    expect(formatBytes(Number.NaN)).toBe("—");
  });
});

describe("formatRelative", () => {
  const now = Date.parse("2026-12-01T12:00:00.000Z");
  it.each([
    ["2026-12-01T11:59:55.000Z", "just now"],
    ["2026-12-01T11:59:00.000Z", "1 minute ago"],
    ["2026-12-01T09:00:00.000Z", "3 hours ago"],
    ["2026-11-30T12:00:00.000Z", "yesterday"],
    ["2026-09-01T12:00:00.000Z", "3 months ago"],
  ])("%s → %s", (iso, text) => {
    expect(formatRelative(iso, now)).toBe(text);
  });
});

describe("formatShape", () => {
  it("shows the free batch dimension as n", () => {
    expect(formatShape([-1, 4])).toBe("[n, 4]");
    expect(formatShape([])).toBe("[]");
  });
});

describe("formatColdStart", () => {
  it("shows the measured time, and says when a running deployment has not been called yet", () => {
    expect(formatColdStart(840, true)).toBe("840 ms");
    expect(formatColdStart(2345, true)).toBe("2.3 s");
    expect(formatColdStart(null, true)).toBe("at first prediction");
    expect(formatColdStart(null, false)).toBe("—");
  });
});
