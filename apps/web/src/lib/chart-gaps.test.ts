import { describe, expect, it } from "vitest";
import { gapFactor, insertGaps, isIsolatedPoint } from "./chart-gaps";

const start = Date.UTC(2026, 11, 3, 12, 0, 0);
const at = (seconds: number) => new Date(start + seconds * 1000).toISOString();
const sample = (seconds: number, p50Ms: number | null = 4) => ({
  at: at(seconds),
  requestsPerSecond: 2,
  p50Ms,
});

describe("insertGaps", () => {
  it("adds the time axis value and nothing else while samples come every interval (with jitter)", () => {
    const points = [sample(0), sample(10), sample(21), sample(30)];
    const rows = insertGaps(points, 10);
    expect(rows).toEqual(points.map((p) => ({ ...p, t: Date.parse(p.at) })));
  });

  it("puts one all-null row in the middle of a stretch without samples (a stopped deployment)", () => {
    const rows = insertGaps([sample(0), sample(10), sample(310), sample(320)], 10);
    expect(rows.map((r) => r.t)).toEqual([0, 10, 160, 310, 320].map((s) => start + s * 1000));
    expect(rows[2]).toEqual({
      at: at(160),
      t: start + 160_000,
      requestsPerSecond: null,
      p50Ms: null,
    });
    expect(rows.filter((r) => r.requestsPerSecond === null)).toHaveLength(1);
  });

  it("counts a jump as a gap only beyond the gap factor", () => {
    const edge = 10 * gapFactor;
    expect(insertGaps([sample(0), sample(edge)], 10)).toHaveLength(2);
    expect(insertGaps([sample(0), sample(edge + 1)], 10)).toHaveLength(3);
  });

  it("ends the line at the last sample when it is older than a gap before now", () => {
    const points = [sample(0), sample(10)];
    expect(insertGaps(points, 10, start + 20_000)).toHaveLength(2);
    const rows = insertGaps(points, 10, start + 600_000);
    expect(rows.at(-1)).toEqual({
      at: at(600),
      t: start + 600_000,
      requestsPerSecond: null,
      p50Ms: null,
    });
  });

  it("keeps nulls the API sent (no requests, no latency) and answers [] for no samples", () => {
    expect(insertGaps([sample(0, null)], 10)[0]?.p50Ms).toBeNull();
    expect(insertGaps([], 10, start)).toEqual([]);
  });
});

describe("isIsolatedPoint", () => {
  it("finds a value with no value either side (it needs a dot), not one inside or ending a line", () => {
    const rows = insertGaps(
      [sample(0, null), sample(10, 7), sample(20, null), sample(30, 3), sample(40, 5)],
      10,
    );
    expect(rows.map((_, i) => isIsolatedPoint(rows, i, "p50Ms"))).toEqual([
      false,
      true,
      false,
      false,
      false,
    ]);
    const [only] = [insertGaps([sample(0, 9)], 10)];
    expect(isIsolatedPoint(only, 0, "p50Ms")).toBe(true);
    expect(isIsolatedPoint(rows, 1, "requestsPerSecond")).toBe(false);
  });
});
