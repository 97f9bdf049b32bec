/**
 * Hostile JSON bodies for the scanner: numbers that turn out, late, not to be numbers. Each is
 * shaped like a V2 request so it also exercises the object and string paths around the data.
 */

export type TJsonBody = { id: string; text: string };

const WIDTH = 256;

/** A deterministic stream of float32-looking decimals, like the fixtures' rows. */
function numbers(seed: number) {
  let state = seed;
  return () => {
    state = (state * 16807) % 2147483647;
    return ((state / 2147483647) * 20 - 10).toFixed(7);
  };
}

function v2Body(data: string): string {
  return `{"inputs":[{"name":"input","shape":[1,${WIDTH}],"datatype":"FP32","data":${data}}]}`;
}

function row(next: () => string): string {
  return "[" + Array.from({ length: WIDTH }, next).join(",") + "]";
}

/** rows × 256 numbers; `last` replaces the final row's final number, `tail` is appended after the rows. */
function wideRows(rows: number, options: { last?: string; tail?: string } = {}): string {
  const next = numbers(7);
  const parts = Array.from({ length: rows }, () => row(next));
  if (options.last !== undefined) {
    const lastRow = parts[rows - 1]!;
    parts[rows - 1] = lastRow.slice(0, lastRow.lastIndexOf(",") + 1) + options.last + "]";
  }
  if (options.tail !== undefined) parts.push(options.tail);
  return "[" + parts.join(",") + "]";
}

/** A full binary tree `levels` deep with `leaf` numbers per leaf; `late` replaces the last leaf's last number. */
function deepTree(levels: number, leaf: number, late?: string): string {
  const next = numbers(11);
  let leaves = 1 << levels;
  const build = (level: number): string => {
    if (level === levels) {
      const values = Array.from({ length: leaf }, next);
      if (--leaves === 0 && late !== undefined) values[leaf - 1] = late;
      return "[" + values.join(",") + "]";
    }
    return "[" + build(level + 1) + "," + build(level + 1) + "]";
  };
  return build(0);
}

/** All rows inside `depth` arrays, the innermost ending in a string: the old scanner's worst case. */
function wrappedRows(rows: number, depth: number): string {
  return "[".repeat(depth) + wideRows(rows, { tail: '"x"' }) + "]".repeat(depth);
}

/** Many small non-numeric arrays nested `depth` deep: each rewinds a little, together a lot. */
function manySmallRewinds(count: number, depth: number): string {
  const item = "[".repeat(depth) + '"ab"' + "]".repeat(depth);
  return "[" + Array.from({ length: count }, () => item).join(",") + "]";
}

/** scale 1 ≈ the 8.8 MB body of issue 7; tests use a small scale. */
export function buildHostileBodies(scale = 1): TJsonBody[] {
  const rows = Math.max(2, Math.round(3400 * scale));
  const levels = Math.max(3, Math.round(Math.log2(Math.max(8, 2 ** 17 * scale))));
  return [
    { id: "wide rows, all numbers (control)", text: v2Body(wideRows(rows)) },
    { id: "wide rows, then a string", text: v2Body(wideRows(rows, { tail: '"x"' })) },
    { id: "wide rows, last number a string", text: v2Body(wideRows(rows, { last: '"x"' })) },
    { id: "wide rows, last number null", text: v2Body(wideRows(rows, { last: "null" })) },
    { id: "wide rows, then an object", text: v2Body(wideRows(rows, { tail: "{}" })) },
    {
      id: `deep tree (${levels} levels), last leaf a string`,
      text: v2Body(deepTree(levels, 8, '"x"')),
    },
    ...[2, 8, 32, 60].map((depth) => ({
      id: `rows inside ${depth} arrays, string after them`,
      text: v2Body(wrappedRows(rows, depth)),
    })),
    {
      id: "small strings nested 6 deep",
      text: v2Body(manySmallRewinds(Math.round(300_000 * scale), 6)),
    },
  ];
}
