import { testDatabaseKinds } from "@kubeserve/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, failureOf, type THarness, type TSignedUp } from "../test/harness";

describe.each(testDatabaseKinds)("model router on %s", (kind) => {
  let h: THarness;
  beforeAll(async () => {
    h = await createHarness(kind);
  });
  afterAll(() => h.destroy());

  async function insertDeployment(
    owner: TSignedUp,
    modelId: string,
    status: "running" | "stopped",
    name: string,
  ) {
    const version = await owner.api.version.create({
      modelId,
      tag: `t-${name}`,
      framework: "onnx",
    });
    return h.deps.db.deployment.create({
      data: {
        ownerId: owner.userId,
        modelId,
        versionId: version.id,
        name,
        status,
        runtime: "local",
      },
      select: { id: true },
    });
  }

  it("creates, gets (by id and by name), updates and deletes a model", async () => {
    const user = await h.signUp("crud");
    const created = await user.api.model.create({
      name: "iris",
      description: "Iris classifier",
      tags: ["tabular", "demo", "tabular"],
    });
    expect(created).toMatchObject({
      name: "iris",
      description: "Iris classifier",
      tags: ["tabular", "demo"],
      ownerId: user.userId,
      versionCount: 0,
    });
    expect(await user.api.model.get({ id: created.id })).toEqual(created);
    expect(await user.api.model.get({ name: "iris" })).toEqual(created);

    const updated = await user.api.model.update({
      id: created.id,
      description: "v2 docs",
      tags: ["prod"],
    });
    expect(updated).toMatchObject({
      id: created.id,
      name: "iris",
      description: "v2 docs",
      tags: ["prod"],
    });
    expect(new Date(updated.updatedAt).getTime()).toBeGreaterThanOrEqual(
      new Date(created.updatedAt).getTime(),
    );
    // Fields not sent stay as they were.
    expect((await user.api.model.update({ id: created.id, tags: [] })).description).toBe("v2 docs");

    expect(await user.api.model.delete({ id: created.id })).toEqual({ ok: true });
    expect((await failureOf(user.api.model.get({ id: created.id }))).code).toBe("NOT_FOUND");
  });

  it("keeps names unique per owner but lets two owners use the same name", async () => {
    const a = await h.signUp("unique-a");
    const b = await h.signUp("unique-b");
    await a.api.model.create({ name: "churn" });
    expect(await failureOf(a.api.model.create({ name: "churn" }))).toEqual({
      code: "CONFLICT",
      message: "You already have a model named 'churn'",
    });
    expect((await b.api.model.create({ name: "churn" })).name).toBe("churn");
  });

  it.each([
    [{ name: "" }, /Model name must be 1–40 characters/],
    [{ name: "x".repeat(41) }, /Model name must be 1–40 characters/],
    [{ name: "Iris" }, /lowercase letters/],
    [{ name: "my_model" }, /lowercase letters/],
    [{ name: "9lives" }, /start with a letter/],
    [{ name: "ok", description: "d".repeat(2001) }, /Description must be at most 2000 characters/],
    [{ name: "ok", tags: ["has space"] }, /Each tag must be/],
    [{ name: "ok", tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }, /At most 20 tags/],
    [
      { name: "ok", ownerId: "00000000-0000-7000-8000-000000000000" },
      /Unrecognized key: "ownerId"/,
    ],
  ])("rejects create %j with a clear message and writes nothing", async (input, message) => {
    const user = await h.signUp("badmodel");
    const failure = await failureOf(user.api.model.create(input as never));
    expect(failure.code).toBe("BAD_REQUEST");
    expect(failure.message).toMatch(message);
    expect(await h.deps.db.model.count({ where: { ownerId: user.userId } })).toBe(0);
  });

  it("stores SQL-looking text verbatim and harmlessly", async () => {
    const user = await h.signUp("sqlish");
    const description = "'); DROP TABLE models; -- \\ % _ $1 ::text";
    const model = await user.api.model.create({
      name: "robert-tables",
      description,
      tags: ["a_b", "team:x/y"],
    });
    expect((await user.api.model.get({ id: model.id })).description).toBe(description);
    expect(model.tags).toEqual(["a_b", "team:x/y"]);
    // A search with LIKE wildcards or quotes matches nothing rather than everything.
    for (const search of ["%", "_", "' OR 1=1 --"]) {
      expect((await user.api.model.list({ search })).items).toEqual([]);
    }
    expect(await h.deps.db.model.count({ where: { ownerId: user.userId } })).toBe(1);
  });

  it("lists with cursor pagination, search and both sort orders", async () => {
    const user = await h.signUp("paging");
    const names = Array.from({ length: 23 }, (_, i) => `model-${String(i).padStart(2, "0")}`);
    for (const name of names) await user.api.model.create({ name });
    await user.api.model.create({ name: "other-thing" });

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await user.api.model.list({
        sortBy: "name",
        limit: 10,
        search: "MODEL-",
        cursor,
      });
      expect(page.items.length).toBeLessThanOrEqual(10);
      seen.push(...page.items.map((m) => m.name));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual(names);

    const desc = await user.api.model.list({ sortBy: "name", sortDir: "desc", limit: 3 });
    expect(desc.items.map((m) => m.name)).toEqual(["other-thing", "model-22", "model-21"]);

    // Default order: most recently updated first; updating a model moves it to the top.
    const target = (await user.api.model.get({ name: "model-05" })).id;
    await user.api.model.update({ id: target, description: "touched" });
    const recent = await user.api.model.list({ limit: 2 });
    expect(recent.items.map((m) => m.name)).toEqual(["model-05", "other-thing"]);

    const all: string[] = [];
    cursor = undefined;
    do {
      const page = await user.api.model.list({ limit: 7, cursor });
      all.push(...page.items.map((m) => m.name));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(all).toHaveLength(24);
    expect(new Set(all).size).toBe(24);
  });

  it("keeps a cursor valid when the row it points at is deleted", async () => {
    const user = await h.signUp("cursor");
    for (const name of ["a1", "a2", "a3", "a4"]) await user.api.model.create({ name });
    const first = await user.api.model.list({ sortBy: "name", limit: 2 });
    const last = first.items.at(-1);
    if (!last || !first.nextCursor) throw new Error("expected a second page");
    await user.api.model.delete({ id: last.id });
    const second = await user.api.model.list({
      sortBy: "name",
      limit: 2,
      cursor: first.nextCursor,
    });
    expect(second.items.map((m) => m.name)).toEqual(["a3", "a4"]);
  });

  it("rejects bad list input with clear messages", async () => {
    const user = await h.signUp("badlist");
    for (const [input, message] of [
      [{ cursor: "not-a-cursor" }, /Invalid cursor/],
      [{ cursor: Buffer.from('["x","y"]').toString("base64url") }, /Invalid cursor/],
      [{ limit: 0 }, /limit/],
      [{ limit: 101 }, /limit/],
      [{ sortBy: "createdAt" }, /sortBy/],
    ] as const) {
      const failure = await failureOf(user.api.model.list(input as never));
      expect(failure.code).toBe("BAD_REQUEST");
      expect(failure.message).toMatch(message);
    }
  });

  it("refuses to delete a model with live deployments, then deletes it with its history", async () => {
    const user = await h.signUp("liveguard");
    const model = await user.api.model.create({ name: "guarded" });
    const live = await insertDeployment(user, model.id, "running", "guarded-prod");
    await insertDeployment(user, model.id, "stopped", "guarded-old");

    expect(await failureOf(user.api.model.delete({ id: model.id }))).toEqual({
      code: "CONFLICT",
      message:
        "Model 'guarded' has 1 live deployment(s) (guarded-prod): stop them before deleting the model",
    });
    expect((await user.api.model.get({ id: model.id })).versionCount).toBe(2);

    await h.deps.db.deployment.update({ where: { id: live.id }, data: { status: "stopped" } });
    expect(await user.api.model.delete({ id: model.id })).toEqual({ ok: true });
    expect(await h.deps.db.deployment.count({ where: { modelId: model.id } })).toBe(0);
    expect(await h.deps.db.modelVersion.count({ where: { modelId: model.id } })).toBe(0);
  });

  it("lists each model with its newest version, or null before the first", async () => {
    const user = await h.signUp("latest");
    const bare = await user.api.model.create({ name: "bare" });
    const model = await user.api.model.create({ name: "with-versions" });
    await user.api.version.create({ modelId: model.id, tag: "v1", framework: "onnx" });
    const newest = await user.api.version.create({
      modelId: model.id,
      tag: "v2",
      framework: "sklearn",
    });
    const { items } = await user.api.model.list({ sortBy: "name" });
    expect(items.map((item) => [item.name, item.latestVersion])).toEqual([
      ["bare", null],
      [
        "with-versions",
        {
          id: newest.id,
          tag: "v2",
          framework: "sklearn",
          status: "pending_upload",
          createdAt: newest.createdAt,
        },
      ],
    ]);
    expect(items[0]?.id).toBe(bare.id);
  });

  it("lists each model's deployments (newest first) (one correlated subquery), never another user's", async () => {
    const user = await h.signUp("hubdeploy");
    const other = await h.signUp("hubdeploy-other");
    const quiet = await user.api.model.create({ name: "quiet" });
    const busy = await user.api.model.create({ name: "busy" });
    const old = await insertDeployment(user, busy.id, "stopped", "busy-old");
    const live = await insertDeployment(user, busy.id, "running", "busy-live");
    const theirs = await other.api.model.create({ name: "busy" });
    await insertDeployment(other, theirs.id, "running", "their-live");

    const { items } = await user.api.model.list({ sortBy: "name" });
    expect(items.map((item) => [item.name, item.deployments])).toEqual([
      [
        "busy",
        [
          { id: live.id, name: "busy-live", status: "running" },
          { id: old.id, name: "busy-old", status: "stopped" },
        ],
      ],
      ["quiet", []],
    ]);
    expect(items[1]?.id).toBe(quiet.id);
  });

  it("requires authentication for every model procedure", async () => {
    const anon = h.caller();
    const id = "00000000-0000-7000-8000-000000000000";
    for (const call of [
      () => anon.model.list(),
      () => anon.model.get({ id }),
      () => anon.model.create({ name: "x" }),
      () => anon.model.update({ id }),
      () => anon.model.delete({ id }),
    ]) {
      expect((await failureOf(call())).code).toBe("UNAUTHORIZED");
    }
  });
});
