import { testDatabaseKinds } from "@kubeserve/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { irisSignature } from "../test/fixtures";
import { createHarness, failureOf, type THarness } from "../test/harness";
import { seedFailedVersion, seedReadyVersion } from "../test/ready-version";

describe.each(testDatabaseKinds)("version router on %s", (kind) => {
  let h: THarness;
  beforeAll(async () => {
    h = await createHarness(kind);
  });
  afterAll(() => h.destroy());

  async function setup(label: string) {
    const user = await h.signUp(label);
    const model = await user.api.model.create({ name: "iris" });
    return { user, model };
  }

  it("creates a pending version, lists, gets by id and by tag, updates and deletes it", async () => {
    const { user, model } = await setup("vcrud");
    const created = await user.api.version.create({
      modelId: model.id,
      tag: "v1",
      framework: "onnx",
      description: "first cut",
      metadata: { accuracy: 0.97, dataset: { name: "iris", rows: 150 } },
    });
    expect(created).toMatchObject({
      modelId: model.id,
      tag: "v1",
      framework: "onnx",
      status: "pending_upload",
      statusMessage: null,
      artifact: null,
      signature: null,
      metadata: { accuracy: 0.97, dataset: { name: "iris", rows: 150 } },
    });
    expect(await user.api.version.get({ id: created.id })).toEqual(created);
    expect(await user.api.version.get({ modelId: model.id, tag: "v1" })).toEqual(created);
    expect((await user.api.model.get({ id: model.id })).versionCount).toBe(1);

    const updated = await user.api.version.update({
      id: created.id,
      description: "better",
      metadata: {},
    });
    expect(updated).toMatchObject({ description: "better", metadata: {}, tag: "v1" });

    await user.api.version.create({ modelId: model.id, tag: "v2", framework: "sklearn" });
    const page = await user.api.version.list({ modelId: model.id });
    expect(page.items.map((v) => v.tag)).toEqual(["v2", "v1"]);
    expect(page.nextCursor).toBeNull();

    expect(await user.api.version.delete({ id: created.id })).toEqual({ ok: true });
    expect((await failureOf(user.api.version.get({ id: created.id }))).code).toBe("NOT_FOUND");
    expect((await user.api.version.list({ modelId: model.id })).items.map((v) => v.tag)).toEqual([
      "v2",
    ]);
  });

  it("pages through versions newest first", async () => {
    const { user, model } = await setup("vpage");
    const tags = Array.from({ length: 7 }, (_, i) => `1.0.${i}`);
    for (const tag of tags)
      await user.api.version.create({ modelId: model.id, tag, framework: "onnx" });
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await user.api.version.list({ modelId: model.id, limit: 3, cursor });
      seen.push(...page.items.map((v) => v.tag));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual([...tags].reverse());
  });

  it("keeps tags unique per model", async () => {
    const { user, model } = await setup("vdup");
    const other = await user.api.model.create({ name: "other" });
    await user.api.version.create({ modelId: model.id, tag: "v1", framework: "onnx" });
    expect(
      await failureOf(user.api.version.create({ modelId: model.id, tag: "v1", framework: "onnx" })),
    ).toEqual({
      code: "CONFLICT",
      message: "Model 'iris' already has a version tagged 'v1'",
    });
    expect(
      (await user.api.version.create({ modelId: other.id, tag: "v1", framework: "onnx" })).tag,
    ).toBe("v1");
  });

  it.each([
    [{ tag: "", framework: "onnx" }, /Version tag must be 1–32 characters/],
    [{ tag: "V1", framework: "onnx" }, /Version tag must be/],
    [{ tag: "v1/../x", framework: "onnx" }, /Version tag must be/],
    [{ tag: "v1", framework: "pytorch" }, /framework/],
    [{ tag: "v1", framework: "onnx", metadata: ["not", "an", "object"] }, /metadata/],
    [{ tag: "v1", framework: "onnx", metadata: { big: "x".repeat(70_000) } }, /at most 64 KB/],
    [{ tag: "v1", framework: "onnx", status: "ready" }, /Unrecognized key: "status"/],
    [{ tag: "v1", framework: "onnx", artifactUri: "s3://x/y" }, /Unrecognized key: "artifactUri"/],
  ])("rejects create %j and writes nothing", async (input, message) => {
    const { user, model } = await setup("vbad");
    const failure = await failureOf(
      user.api.version.create({ modelId: model.id, ...(input as object) } as never),
    );
    expect(failure.code).toBe("BAD_REQUEST");
    expect(failure.message).toMatch(message);
    expect(await h.deps.db.modelVersion.count({ where: { modelId: model.id } })).toBe(0);
  });

  it("a version for an unknown model is NOT_FOUND", async () => {
    const user = await h.signUp("vnomodel");
    const failure = await failureOf(
      user.api.version.create({
        modelId: "00000000-0000-7000-8000-000000000000",
        tag: "v1",
        framework: "onnx",
      }),
    );
    expect(failure).toEqual({ code: "NOT_FOUND", message: "Model not found" });
  });

  // Both transitions go through the real upload (the only code that makes them in production).
  it("moves pending_upload → ready with artifact and signature, and never back", async () => {
    const { user, model } = await setup("vready");
    const version = await user.api.version.create({
      modelId: model.id,
      tag: "v1",
      framework: "onnx",
    });
    await seedReadyVersion(h.deps, { userId: user.userId, versionId: version.id });
    const ready = await user.api.version.get({ id: version.id });
    expect(ready).toMatchObject({
      status: "ready",
      statusMessage: null,
      artifact: { filename: "iris-logreg.onnx" },
      signature: irisSignature,
    });
    expect(ready.artifact?.sha256).toMatch(/^[0-9a-f]{64}$/);

    const again = { userId: user.userId, versionId: version.id };
    expect((await failureOf(seedReadyVersion(h.deps, again))).message).toMatch(
      /is ready and immutable/,
    );
    // A bad file cannot turn a ready version failed either: it is refused before inspection.
    expect(await seedFailedVersion(h.deps, again)).toMatch(/is ready and immutable/);
    expect(await user.api.version.get({ id: version.id })).toEqual(ready);
  });

  it("moves pending_upload → failed with a reason, and a retry may still succeed", async () => {
    const { user, model } = await setup("vfail");
    const version = await user.api.version.create({
      modelId: model.id,
      tag: "v1",
      framework: "onnx",
    });
    const refusal = await seedFailedVersion(h.deps, { userId: user.userId, versionId: version.id });
    expect(refusal).toMatch(/is not a usable ONNX model.*the version is marked failed$/);
    const failed = await user.api.version.get({ id: version.id });
    expect(failed).toMatchObject({ status: "failed", artifact: null });
    expect(failed.statusMessage).toMatch(/^'model\.onnx' is not a usable ONNX model/);

    await seedReadyVersion(h.deps, { userId: user.userId, versionId: version.id });
    expect(await user.api.version.get({ id: version.id })).toMatchObject({
      status: "ready",
      statusMessage: null,
      signature: irisSignature,
    });
  });

  it("refuses to delete a version that a live deployment serves", async () => {
    const { user, model } = await setup("vlive");
    const version = await user.api.version.create({
      modelId: model.id,
      tag: "v1",
      framework: "onnx",
    });
    await h.deps.db.deployment.create({
      data: {
        ownerId: user.userId,
        modelId: model.id,
        versionId: version.id,
        name: "iris-v1",
        status: "running",
        runtime: "local",
      },
    });
    expect(await failureOf(user.api.version.delete({ id: version.id }))).toEqual({
      code: "CONFLICT",
      message:
        "Version 'v1' has 1 live deployment(s) (iris-v1): stop them before deleting the version",
    });
    expect((await user.api.version.get({ id: version.id })).tag).toBe("v1");
  });
});
