import { describe, expect, it } from "vitest";
import { buildHostileBodies } from "../../bench/json-bodies";
import { JsonScanner, JsonSyntaxError, NumericRef, type TJsonValue } from "./json-scan";

/** Turns NumericRefs back into nested arrays so results compare with JSON.parse. */
function materialize(scanner: JsonScanner, value: TJsonValue): unknown {
  if (value instanceof NumericRef) {
    if (value.isRagged) return "RAGGED";
    const flat = scanner.readNumbers(value);
    const build = (level: number, offset: number): unknown[] => {
      const length = value.dims[level]!;
      if (level === value.dims.length - 1) return flat.slice(offset, offset + length);
      const stride = value.dims.slice(level + 1).reduce((a, b) => a * b, 1);
      return Array.from({ length }, (_, i) => build(level + 1, offset + i * stride));
    };
    return build(0, 0);
  }
  if (Array.isArray(value)) return value.map((v) => materialize(scanner, v));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, materialize(scanner, v)]));
  }
  return value;
}

/** Numbers-only arrays whose rows differ in length or depth become "RAGGED", as the scanner flags them. */
function isNumbersOnly(value: unknown): boolean {
  return typeof value === "number" || (Array.isArray(value) && value.every(isNumbersOnly));
}

function measure(value: unknown): number[] | undefined {
  if (!Array.isArray(value)) return [];
  if (value.length === 0) return [0];
  const inner = value.map(measure);
  const first = inner[0];
  const isSame = (d: number[] | undefined) =>
    d !== undefined &&
    first !== undefined &&
    d.length === first.length &&
    d.every((x, i) => x === first[i]);
  return inner.every(isSame) ? [value.length, ...first!] : undefined;
}

function normalize(value: unknown): unknown {
  if (Array.isArray(value)) {
    if (isNumbersOnly(value) && measure(value) === undefined) return "RAGGED";
    return value.map(normalize);
  }
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalize(v)]));
  }
  return value;
}

function randomJson(random: () => number, depth: number): unknown {
  const pick = Math.floor(random() * (depth > 3 ? 4 : 7));
  const number = () => {
    const kind = Math.floor(random() * 4);
    if (kind === 0) return Math.floor(random() * 2000 - 1000);
    if (kind === 1) return (random() - 0.5) * 10 ** Math.floor(random() * 40 - 20);
    if (kind === 2) return Math.fround(random() * 10 - 5);
    return Number((random() * 100).toFixed(Math.floor(random() * 20)));
  };
  if (pick === 0) return number();
  if (pick === 1) return ["a", "é\u00e8", 'q"\\\n', "\u2028", ""][Math.floor(random() * 5)];
  if (pick === 2) return [true, false, null][Math.floor(random() * 3)];
  if (pick === 3) {
    const rows = 1 + Math.floor(random() * 3);
    const cols = Math.floor(random() * 4);
    return Array.from({ length: rows }, () => Array.from({ length: cols }, number));
  }
  if (pick === 4 || pick === 5) {
    return Array.from({ length: Math.floor(random() * 4) }, () => randomJson(random, depth + 1));
  }
  return Object.fromEntries(
    Array.from({ length: Math.floor(random() * 4) }, (_, i) => [
      `k${i}`,
      randomJson(random, depth + 1),
    ]),
  );
}

describe("JsonScanner", () => {
  it("agrees with JSON.parse on 2000 random documents, including whitespace", () => {
    let seed = 7;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const scanner = new JsonScanner();
    for (let i = 0; i < 2000; i++) {
      const doc = randomJson(random, 0);
      const text = JSON.stringify(doc, null, i % 3 === 0 ? 2 : undefined);
      expect(materialize(scanner, scanner.parse(Buffer.from(text)))).toEqual(
        normalize(JSON.parse(text)),
      );
    }
  });

  it("reads nested number arrays as one NumericRef with dims", () => {
    const scanner = new JsonScanner();
    const root = scanner.parse(Buffer.from('{"instances": [[1, 2.5], [-3e2, 4]]}')) as {
      instances: NumericRef;
    };
    expect(root.instances).toBeInstanceOf(NumericRef);
    expect(root.instances.dims).toEqual([2, 2]);
    expect(root.instances.isRagged).toBe(false);
    expect(scanner.readNumbers(root.instances)).toEqual([1, 2.5, -300, 4]);
  });

  it("parses numbers with many digits exactly like JSON.parse", () => {
    const scanner = new JsonScanner();
    const values = [
      "0.1",
      "0.30000000000000004",
      "123456789012345678",
      "1e-7",
      "5e-324",
      "1.7976931348623157e308",
      "-0",
    ];
    const ref = scanner.parse(Buffer.from(`[${values.join(",")}]`)) as NumericRef;
    expect(scanner.readNumbers(ref)).toEqual(values.map(Number));
  });

  it("reads plain decimals around the exact-double limit exactly like JSON.parse", () => {
    // The fast path takes any digits whose mantissa stays below 2^53; these sit on both sides.
    const scanner = new JsonScanner();
    let seed = 7;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const digits = (n: number) =>
      Array.from({ length: n }, () => Math.floor(random() * 10)).join("");
    const values = [
      "9007199254740991",
      "9007199254740993",
      "0.9007199254740993",
      "900719925474.0993",
      "0.000000000000000000001",
      "0.0000000000000000000001234",
      "-0.037032798",
      ...Array.from({ length: 3000 }, () => {
        const whole = digits(1 + Math.floor(random() * 9)).replace(/^0+(?=\d)/, "");
        const fraction = digits(Math.floor(random() * 19));
        return `${random() < 0.5 ? "-" : ""}${whole}${fraction ? `.${fraction}` : ""}`;
      }),
    ];
    const ref = scanner.parse(Buffer.from(`[${values.join(",")}]`)) as NumericRef;
    const read = scanner.readNumbers(ref);
    values.forEach((text, i) => expect([text, read[i]]).toEqual([text, Number(text)]));
  });

  it("flags ragged arrays and non-finite tokens", () => {
    const scanner = new JsonScanner();
    expect((scanner.parse(Buffer.from("[[1,2],[3]]")) as NumericRef).isRagged).toBe(true);
    expect((scanner.parse(Buffer.from("[[1,2],3]")) as NumericRef).isRagged).toBe(true);
    expect((scanner.parse(Buffer.from("[1,NaN,-Infinity]")) as NumericRef).hasNonFinite).toBe(true);
  });

  it("falls back to ordinary arrays when numbers are mixed with other values", () => {
    const scanner = new JsonScanner();
    const value = scanner.parse(Buffer.from('[[1,2],["a"]]')) as TJsonValue[];
    expect(value[0]).toBeInstanceOf(NumericRef);
    expect(value[1]).toEqual(["a"]);
  });

  it.each(buildHostileBodies(0.02).map((b) => [b.id, b.text]))(
    "reads %s like JSON.parse, scanning at most 2× its bytes",
    (_id, text) => {
      const scanner = new JsonScanner();
      const body = Buffer.from(text);
      const value = scanner.parse(body);
      expect(scanner.lastScannedBytes).toBeGreaterThanOrEqual(body.length);
      expect(scanner.lastScannedBytes).toBeLessThanOrEqual(2 * body.length);
      expect(materialize(scanner, value)).toEqual(normalize(JSON.parse(text)));
    },
  );

  it("scans a late non-number at any depth at most twice, in random numeric trees", () => {
    let seed = 11;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const tree = (depth: number): unknown =>
      depth === 0
        ? Math.round(random() * 1000) / 8
        : Array.from({ length: 1 + Math.floor(random() * 4) }, () => tree(depth - 1));
    const scanner = new JsonScanner();
    for (let i = 0; i < 300; i++) {
      const doc = tree(2 + Math.floor(random() * 6)) as unknown[];
      // walk down a random path and put a string (or null, or an object) after the last leaf there
      let node = doc;
      while (Array.isArray(node[node.length - 1]) && random() < 0.8) {
        node = node[node.length - 1] as unknown[];
      }
      node.push(["late", null, {}][i % 3]);
      const text = JSON.stringify({ data: doc });
      const value = scanner.parse(Buffer.from(text));
      expect(scanner.lastScannedBytes).toBeLessThanOrEqual(2 * text.length);
      expect(materialize(scanner, value)).toEqual(normalize(JSON.parse(text)));
    }
  });

  it("creates objects without a prototype, so __proto__ is just a key", () => {
    const scanner = new JsonScanner();
    const value = scanner.parse(Buffer.from('{"__proto__": {"polluted": 1}}')) as Record<
      string,
      unknown
    >;
    expect(Object.getPrototypeOf(value)).toBe(null);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([
    "",
    "{",
    '{"a":1',
    "[1,2",
    "[1,,2]",
    "01",
    "1.",
    "-",
    '"abc',
    "tru",
    "{} x",
    '{"a" 1}',
    "[1e]",
  ])("rejects malformed input %j", (text) => {
    expect(() => new JsonScanner().parse(Buffer.from(text))).toThrow(JsonSyntaxError);
  });
});
