import { testDatabaseKinds } from "@kubeserve/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, failureOf, type THarness, type TSignedUp } from "../test/harness";

describe.each(testDatabaseKinds)("cross-tenant isolation on %s", (kind) => {
  let h: THarness;
  let alice: TSignedUp;
  let bob: TSignedUp;
  let aliceModel: { id: string; name: string };
  let aliceVersion: { id: string };
  let aliceKey: { id: string };

  beforeAll(async () => {
    h = await createHarness(kind);
    alice = await h.signUp("alice");
    bob = await h.signUp("bob");
    aliceModel = await alice.api.model.create({
      name: "secret-model",
      description: "alice's",
      tags: ["private"],
    });
    aliceVersion = await alice.api.version.create({
      modelId: aliceModel.id,
      tag: "v1",
      framework: "onnx",
    });
    aliceKey = (await alice.api.apiKey.create({ name: "alice key" })).apiKey;
  });
  afterAll(() => h.destroy());

  async function expectNotFound(call: Promise<unknown>) {
    const failure = await failureOf(call);
    expect(failure.code).toBe("NOT_FOUND");
    expect(failure.message).not.toContain("secret-model");
    expect(failure.message).not.toContain(alice.email);
  }

  it("another user's model ids are NOT_FOUND for get, update, delete and version procedures", async () => {
    await expectNotFound(bob.api.model.get({ id: aliceModel.id }));
    await expectNotFound(bob.api.model.get({ name: "secret-model" }));
    await expectNotFound(bob.api.model.update({ id: aliceModel.id, description: "pwned" }));
    await expectNotFound(bob.api.model.delete({ id: aliceModel.id }));
    await expectNotFound(bob.api.version.list({ modelId: aliceModel.id }));
    await expectNotFound(
      bob.api.version.create({ modelId: aliceModel.id, tag: "evil", framework: "onnx" }),
    );
    await expectNotFound(bob.api.version.get({ id: aliceVersion.id }));
    await expectNotFound(bob.api.version.get({ modelId: aliceModel.id, tag: "v1" }));
    await expectNotFound(bob.api.version.update({ id: aliceVersion.id, description: "pwned" }));
    await expectNotFound(bob.api.version.delete({ id: aliceVersion.id }));
  });

  it("another user's API keys are NOT_FOUND and never listed", async () => {
    await expectNotFound(bob.api.apiKey.revoke({ id: aliceKey.id }));
    expect(await bob.api.apiKey.list({ includeRevoked: true })).toEqual([]);
  });

  it("lists and searches only the caller's own models", async () => {
    expect((await bob.api.model.list()).items).toEqual([]);
    expect((await bob.api.model.list({ search: "secret" })).items).toEqual([]);
    expect((await bob.api.model.list({ sortBy: "name" })).items).toEqual([]);
  });

  it("leaves alice's data untouched after bob's attempts", async () => {
    const model = await alice.api.model.get({ id: aliceModel.id });
    expect(model).toMatchObject({ description: "alice's", tags: ["private"], versionCount: 1 });
    expect((await alice.api.version.get({ id: aliceVersion.id })).description).toBe("");
    expect((await alice.api.apiKey.list()).map((k) => k.revokedAt)).toEqual([null]);
  });

  it("an admin sees and manages every user's models, versions and keys", async () => {
    const admin = await h.signUp("admin");
    await h.deps.db.user.update({ where: { id: admin.userId }, data: { role: "admin" } });
    const models = await admin.api.model.list({ limit: 100 });
    expect(models.items.map((m) => m.id)).toContain(aliceModel.id);
    expect((await admin.api.model.get({ id: aliceModel.id })).ownerId).toBe(alice.userId);
    expect((await admin.api.version.get({ id: aliceVersion.id })).id).toBe(aliceVersion.id);
    expect((await admin.api.apiKey.list()).map((k) => k.id)).toContain(aliceKey.id);
    const updated = await admin.api.model.update({
      id: aliceModel.id,
      tags: ["private", "reviewed"],
    });
    expect(updated.tags).toEqual(["private", "reviewed"]);
    // A plain user who is later demoted loses that view immediately.
    await h.deps.db.user.update({ where: { id: admin.userId }, data: { role: "user" } });
    await expectNotFound(admin.api.model.get({ id: aliceModel.id }));
  });
});
