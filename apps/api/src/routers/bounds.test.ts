import { testDatabaseKinds } from "@kubeserve/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeCursor } from "../lib/cursor";
import { metadataLimits } from "../schemas/metadata";
import { createHarness, failureOf, type THarness, type TSignedUp } from "../test/harness";

function nested(depth: number, leaf: unknown = 1): Record<string, unknown> {
  let value: unknown = leaf;
  for (let i = 1; i < depth; i++) value = { d: value };
  return { d: value };
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
const someId = "01936a5e-0000-7000-8000-000000000001";

describe.each(testDatabaseKinds)("values the database cannot hold, on %s", (kind) => {
  let h: THarness;
  let user: TSignedUp;
  let modelId: string;

  beforeAll(async () => {
    h = await createHarness(kind);
    user = await h.signUp("bounds");
    modelId = (await user.api.model.create({ name: "bounded" })).id;
    for (const tag of ["v1", "v2", "v3"]) {
      await user.api.version.create({ modelId, tag, framework: "onnx" });
    }
  });
  afterAll(() => h.destroy());

  it("accepts metadata up to the limits", async () => {
    const wide = Object.fromEntries(
      Array.from({ length: metadataLimits.maxKeysPerObject }, (_, i) => [`k${i}`, i]),
    );
    const deep = nested(metadataLimits.maxDepth - 1);
    const version = await user.api.version.create({
      modelId,
      tag: "at-limits",
      framework: "onnx",
      metadata: { wide, deep, long: "k".repeat(metadataLimits.maxKeyLength) } as never,
    });
    expect((await user.api.version.get({ id: version.id })).metadata).toEqual(version.metadata);
  });

  it.each([
    ["nested one level too deep", nested(metadataLimits.maxDepth + 1), /nested deeper than 32/],
    ["nested 100,000 levels deep", nested(100_000), /nested deeper than 32/],
    [
      "arrays nested 100,000 deep",
      { a: JSON.parse(`${"[".repeat(100_000)}${"]".repeat(100_000)}`) as unknown },
      /deeper/,
    ],
    [
      "an object with too many keys",
      Object.fromEntries(Array.from({ length: 257 }, (_, i) => [`k${i}`, 0])),
      /at most 256 keys/,
    ],
    ["a key too long", { ["k".repeat(129)]: 1 }, /keys must be at most 128/],
    ["too large in total", { list: Array.from({ length: 70_000 }, () => 0) }, /at most 64 KB/],
    ["a non-finite number", { x: Number.POSITIVE_INFINITY }, /finite/],
    ["a __proto__ key", JSON.parse('{"a":{"__proto__":{"isAdmin":true}}}') as object, /__proto__/],
    ["a value that is not JSON", { x: new Date() }, /must be JSON/],
  ])("refuses metadata %s with 400 and stores nothing", async (_label, metadata, message) => {
    const before = await h.deps.db.modelVersion.count();
    const id = (await firstVersionId()) ?? someId;
    for (const call of [
      () =>
        user.api.version.create({
          modelId,
          tag: "bad",
          framework: "onnx",
          metadata: metadata as never,
        }),
      () => user.api.version.update({ id, metadata: metadata as never }),
    ]) {
      const failure = await failureOf(call());
      expect(failure.code).toBe("BAD_REQUEST");
      expect(failure.message).toMatch(message);
    }
    expect(await h.deps.db.modelVersion.count()).toBe(before);
  });

  async function firstVersionId() {
    return (await user.api.version.list({ modelId, limit: 1 })).items[0]?.id;
  }

  it("keeps get and list working for stored metadata the API would now refuse", async () => {
    // A row written before these limits existed (or by hand): 5,000 levels deep.
    const version = await user.api.version.create({ modelId, tag: "legacy", framework: "onnx" });
    const deep = `${'{"d":'.repeat(5_000)}1${"}".repeat(5_000)}`;
    await h.deps.sql("UPDATE model_versions SET metadata = $1::jsonb WHERE id = $2", [
      deep,
      version.id,
    ]);
    const page = await user.api.version.list({ modelId, limit: 100 });
    expect(page.items.map((v) => v.tag)).toEqual(expect.arrayContaining(["legacy", "v1", "v2"]));
    const notice = {
      kubeserveNotice:
        "Stored metadata not shown: Metadata must not be nested deeper than 32 levels. " +
        "Replace it with version.update.",
    };
    expect(page.items.find((v) => v.tag === "legacy")?.metadata).toEqual(notice);
    expect((await user.api.version.get({ id: version.id })).metadata).toEqual(notice);
    const repaired = await user.api.version.update({ id: version.id, metadata: { ok: true } });
    expect(repaired.metadata).toEqual({ ok: true });
  });

  it.each([
    ["not base64url", "%%%"],
    ["not JSON", Buffer.from("{nope").toString("base64url")],
    ["a JSON object", b64({ a: 1 })],
    ["three elements", b64(["2024-01-01T00:00:00.000Z", someId, 1])],
    ["a numeric value", b64([1, someId])],
    ["an id that is not a UUID", b64(["2024-01-01T00:00:00.000Z", "1 OR 1=1"])],
    ["a date past PostgreSQL's range", b64(["+275760-09-13T00:00:00.000Z", someId])],
    ["a date before year 1", b64(["-000001-01-01T00:00:00.000Z", someId])],
    ["year 0", b64(["0000-06-01T00:00:00.000Z", someId])],
    ["an impossible day", b64(["2024-02-30T00:00:00.000Z", someId])],
    ["a date without milliseconds", b64(["2024-01-01T00:00:00Z", someId])],
    ["a date with NUL", b64(["2024-01-01T00:00:00.000Z\u0000", someId])],
    ["a name cursor where a date is expected", encodeCursor("bounded", someId)],
  ])("answers a cursor that is %s with 400 on every list", async (_label, cursor) => {
    for (const call of [
      () => user.api.model.list({ cursor }),
      () => user.api.version.list({ modelId, cursor }),
      () => user.api.deployment.list({ cursor }),
      () => user.api.deployment.list({ modelId, cursor }),
    ]) {
      const failure = await failureOf(call());
      expect(failure).toEqual({
        code: "BAD_REQUEST",
        message: "Invalid cursor: pass back nextCursor from the previous page",
      });
    }
  });

  it.each([
    ["a date cursor where a name is expected", encodeCursor(new Date(), someId)],
    ["a name with NUL", b64(["bounded\u0000", someId])],
    ["a name longer than any model name", b64(["x".repeat(41), someId])],
    ["a name with quotes", b64(["a'; DROP TABLE models; --", someId])],
  ])("answers a name cursor that is %s with 400", async (_label, cursor) => {
    const failure = await failureOf(user.api.model.list({ cursor, sortBy: "name" }));
    expect(failure.code).toBe("BAD_REQUEST");
  });

  it("accepts in-range cursors it did not issue (a cursor is only a position)", async () => {
    const page = await user.api.model.list({
      cursor: encodeCursor(new Date("9999-12-31T23:59:59.999Z"), someId),
    });
    expect(page.items.map((m) => m.id)).toContain(modelId);
    const byName = await user.api.model.list({ sortBy: "name", cursor: encodeCursor("a", someId) });
    expect(byName.items.map((m) => m.id)).toContain(modelId);
  });

  it("refuses an API key expiry that would come back in a 5-digit year", async () => {
    const failure = await failureOf(
      user.api.apiKey.create({ name: "forever", expiresAt: "9999-12-31T23:59:59-23:59" }),
    );
    expect(failure).toEqual({
      code: "BAD_REQUEST",
      message: "expiresAt: expiresAt must be before the year 10000",
    });
    const latest = await user.api.apiKey.create({
      name: "late",
      expiresAt: "9999-12-31T23:59:59Z",
    });
    expect(latest.apiKey.expiresAt).toBe("9999-12-31T23:59:59.000Z");
    expect((await user.api.apiKey.list()).map((k) => k.id)).toContain(latest.apiKey.id);
  });
});
