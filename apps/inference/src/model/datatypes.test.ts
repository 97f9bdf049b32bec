import { describe, expect, it } from "vitest";
import { fromHalfBits, toHalfBits } from "./datatypes";

describe("FP16 conversion", () => {
  it("round-trips every finite half, and rounds every midpoint to the even neighbour", () => {
    const wrong: string[] = [];
    let checked = 0;
    for (let bits = 0; bits < 0x10000; bits++) {
      const value = fromHalfBits(bits);
      if (!Number.isFinite(value)) continue;
      if (toHalfBits(value) !== bits) wrong.push(`${bits}: ${toHalfBits(value)}`);
      const next = bits + 1;
      const nextValue = fromHalfBits(next);
      checked++;
      // same sign, both finite: the midpoint goes to the one with an even mantissa
      if ((next & 0x8000) !== (bits & 0x8000) || !Number.isFinite(nextValue)) continue;
      const midpoint = (value + nextValue) / 2;
      const even = bits % 2 === 0 ? bits : next;
      if (toHalfBits(midpoint) !== even)
        wrong.push(`midpoint after ${bits}: ${toHalfBits(midpoint)}`);
    }
    expect(checked).toBe(63488);
    expect(wrong).toEqual([]);
  });

  it("agrees with known encodings", () => {
    expect(toHalfBits(1)).toBe(0x3c00);
    expect(toHalfBits(-2)).toBe(0xc000);
    expect(toHalfBits(65504)).toBe(0x7bff);
    expect(toHalfBits(2 ** -24)).toBe(0x0001);
    expect(toHalfBits(0.1)).toBe(0x2e66);
    expect(toHalfBits(-0)).toBe(0x8000);
    expect(fromHalfBits(0x7c00)).toBe(Infinity);
    expect(fromHalfBits(0x7e00)).toBeNaN();
  });
});
