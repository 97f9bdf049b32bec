import { testDatabaseKinds } from "@kubeserve/db/testing";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type THarness, type TSignedUp } from "../test/harness";

// Property: whatever version.create accepts, version.get and version.list return unchanged — output
// validation can never fail for accepted data — and whatever it refuses is a 400, for the reason an
// independent reading of the documented limits gives.

const text = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: "binary", maxLength: 8 }),
  fc.constantFrom(
    "\u0000",
    "a\uD800",
    "\uDFFF",
    "\u2028",
    "\uFFFF",
    "\uD83D\uDE00",
    "__proto__",
    "",
  ),
);
const number = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(-0, 5e-324, 1.7976931348623157e308, 2 ** 53 + 2, 0.1 + 0.2),
);
const leaf = fc.oneof(text, number, fc.boolean(), fc.constant(null));

const { json } = fc.letrec<{ json: unknown }>((tie) => ({
  json: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf,
    fc.array(tie("json"), { maxLength: 4 }),
    fc.dictionary(text, tie("json"), { maxKeys: 4 }),
  ),
}));

const deep = fc.integer({ min: 28, max: 36 }).map((depth) => {
  let value: unknown = "bottom";
  for (let i = 1; i < depth; i++) value = i % 2 ? [value] : { d: value };
  return { d: value };
});
const wide = fc
  .integer({ min: 250, max: 260 })
  .map((keys) => Object.fromEntries(Array.from({ length: keys }, (_, i) => [`k${i}`, i])));
const large = fc.integer({ min: 60, max: 70 }).map((kb) => ({ blob: "x".repeat(kb * 1024) }));
const metadata = fc.oneof(fc.dictionary(text, json, { maxKeys: 6 }), deep, wide, large);

/** The documented limits, read independently of the implementation (recursion is fine at these sizes). */
function isWithinLimits(value: unknown, depth = 1): boolean {
  // eslint-disable-next-line no-control-regex -- NUL is exactly what is looked for
  const isStorable = (s: string) => !/[\u0000\uD800-\uDFFF]/u.test(s);
  if (typeof value === "string") return isStorable(value);
  if (typeof value === "number") return Number.isFinite(value);
  if (typeof value === "boolean" || value === null) return true;
  if (depth > 32) return false;
  if (Array.isArray(value)) return value.every((item) => isWithinLimits(item, depth + 1));
  const entries = Object.entries(value as object);
  return (
    entries.length <= 256 &&
    entries.every(
      ([key, item]) =>
        isStorable(key) &&
        key !== "__proto__" &&
        key.length <= 128 &&
        isWithinLimits(item, depth + 1),
    )
  );
}

const isAcceptable = (value: object) =>
  isWithinLimits(value) && Buffer.byteLength(JSON.stringify(value)) <= 64 * 1024;

describe.each(testDatabaseKinds)("version metadata round trip on %s", (kind) => {
  let h: THarness;
  let user: TSignedUp;
  let modelId: string;

  beforeAll(async () => {
    h = await createHarness(kind);
    user = await h.signUp("property");
    modelId = (await user.api.model.create({ name: "prop" })).id;
  });
  afterAll(() => h.destroy());

  it("returns from get and list exactly what create accepted, and refuses the rest with 400", async () => {
    let runs = 0;
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(metadata, async (input) => {
        const tag = `p${++runs}`;
        const outcome = await user.api.version
          .create({ modelId, tag, framework: "onnx", metadata: input as never })
          .then(
            (version) => ({ version }),
            (error: { code?: string }) => ({ error }),
          );
        expect("version" in outcome).toBe(isAcceptable(input));
        if (!("version" in outcome)) {
          expect(outcome.error.code).toBe("BAD_REQUEST");
          return;
        }
        accepted++;
        // What a client sends is JSON, where -0 is 0: compare with the JSON reading of the input.
        const expected = JSON.parse(JSON.stringify(input)) as unknown;
        expect(outcome.version.metadata).toEqual(expected);
        expect((await user.api.version.get({ id: outcome.version.id })).metadata).toEqual(expected);
        const [newest] = (await user.api.version.list({ modelId, limit: 1 })).items;
        expect(newest).toEqual(outcome.version);
      }),
      { numRuns: 120 },
    );
    // The property must have been exercised on both sides.
    expect(accepted).toBeGreaterThan(20);
    expect(runs - accepted).toBeGreaterThan(10);

    // And every accepted row together still lists, page by page.
    let cursor: string | undefined;
    let listed = 0;
    do {
      const page = await user.api.version.list({ modelId, limit: 100, cursor });
      listed += page.items.length;
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(listed).toBe(accepted);
  }, 180_000);
});
