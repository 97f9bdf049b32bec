import { testDatabaseKinds } from "@kubeserve/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, failureOf, type THarness } from "../test/harness";
import { seedFailedVersion, seedReadyVersion } from "../test/ready-version";

// Bad input never reaches the runtime: each case is a clear 4xx naming the problem. Replicas 0 keeps these
// deployments process-free.

describe.each(testDatabaseKinds)("deployment router on %s", (kind) => {
  let h: THarness;
  beforeAll(async () => {
    h = await createHarness(kind, { RUNTIME_MAX_REPLICAS: "4" });
  });
  afterAll(() => h.destroy());

  async function setup(label: string) {
    const user = await h.signUp(label);
    const model = await user.api.model.create({ name: "iris" });
    const ready = await user.api.version.create({
      modelId: model.id,
      tag: "v1",
      framework: "onnx",
    });
    await seedReadyVersion(h.deps, { userId: user.userId, versionId: ready.id });
    return { user, model, ready };
  }

  it("refuses versions that are not ready, or not the caller's", async () => {
    const { user, model } = await setup("notready");
    const pending = await user.api.version.create({
      modelId: model.id,
      tag: "v2",
      framework: "onnx",
    });
    const pendingFailure = await failureOf(
      user.api.deployment.create({ versionId: pending.id, name: "a" }),
    );
    expect(pendingFailure.code).toBe("PRECONDITION_FAILED");
    expect(pendingFailure.message).toMatch(/'v2' is pending_upload: only a ready version/);

    const failed = await user.api.version.create({
      modelId: model.id,
      tag: "v3",
      framework: "onnx",
    });
    await seedFailedVersion(h.deps, { userId: user.userId, versionId: failed.id });
    expect(
      (await failureOf(user.api.deployment.create({ versionId: failed.id, name: "b" }))).message,
    ).toMatch(/is failed/);

    const stranger = await setup("stranger");
    const foreign = await failureOf(
      user.api.deployment.create({ versionId: stranger.ready.id, name: "c" }),
    );
    expect(foreign).toMatchObject({ code: "NOT_FOUND", message: "Version not found" });
  });

  it("refuses duplicate names, bad replica counts, limits below requests and unknown options", async () => {
    const { user, ready } = await setup("badinput");
    await user.api.deployment.create({ versionId: ready.id, name: "taken", replicas: 0 });
    const duplicate = await failureOf(
      user.api.deployment.create({ versionId: ready.id, name: "taken", replicas: 0 }),
    );
    expect(duplicate).toMatchObject({ code: "CONFLICT" });
    expect(duplicate.message).toMatch(/'taken' already exists/);

    const cases: [string, Record<string, unknown>, RegExp][] = [
      ["negative replicas", { replicas: -1 }, /replicas must be 0 or more/],
      ["too many replicas", { replicas: 5 }, /replicas must be at most 4/],
      ["not a DNS label", { name: "Not_A_Label" }, /Deployment name must be/],
      [
        "memory limit below request",
        { resources: { memoryRequest: "1Gi", memoryLimit: "512Mi" } },
        /memoryLimit 512Mi is below memoryRequest 1Gi/,
      ],
      [
        "cpu limit below request",
        { resources: { cpuRequest: "2", cpuLimit: "500m" } },
        /cpuLimit 500m is below cpuRequest 2/,
      ],
      ["bad quantity", { resources: { memoryLimit: "lots" } }, /must be a memory quantity/],
      ["unknown runtime option", { runtimeOptions: { turbo: true } }, /Unrecognized key.*turbo/],
      ["bad batching", { runtimeOptions: { batching: "maybe" } }, /batching/],
      ["runtime not enabled here", { runtime: "kubernetes" }, /kubernetes runtime is not enabled/],
      ["unknown runtime", { runtime: "docker" }, /runtime/],
      [
        "autoscaling min above max",
        { autoscaling: { minReplicas: 3, maxReplicas: 2 } },
        /minReplicas must not exceed maxReplicas/,
      ],
      [
        "autoscaling max over the limit",
        { replicas: 1, autoscaling: { minReplicas: 1, maxReplicas: 9 } },
        /maxReplicas must be at most 4/,
      ],
      [
        "replicas outside autoscaling",
        { replicas: 3, autoscaling: { minReplicas: 1, maxReplicas: 2 } },
        /between autoscaling/,
      ],
    ];
    for (const [label, extra, message] of cases) {
      const failure = await failureOf(
        user.api.deployment.create({
          versionId: ready.id,
          name: "fresh",
          replicas: 0,
          ...extra,
        } as never),
      );
      expect({ label, code: failure.code }).toEqual({ label, code: "BAD_REQUEST" });
      expect(failure.message).toMatch(message);
    }
    expect((await user.api.deployment.list({})).items.map((d) => d.name)).toEqual(["taken"]);
  });

  it("lists per model and overall in keyset pages, and hides other users' deployments", async () => {
    const { user, model, ready } = await setup("lister");
    const other = await user.api.model.create({ name: "other" });
    const otherVersion = await user.api.version.create({
      modelId: other.id,
      tag: "v1",
      framework: "onnx",
    });
    await seedReadyVersion(h.deps, { userId: user.userId, versionId: otherVersion.id });
    const names = ["d1", "d2", "d3", "d4", "d5"];
    for (const name of names)
      await user.api.deployment.create({ versionId: ready.id, name, replicas: 0 });
    await user.api.deployment.create({
      versionId: otherVersion.id,
      name: "elsewhere",
      replicas: 0,
    });

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await user.api.deployment.list({ modelId: model.id, limit: 2, cursor });
      seen.push(...page.items.map((d) => d.name));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual([...names].reverse());
    expect((await user.api.deployment.list({})).items).toHaveLength(6);

    const stranger = await h.signUp("peeker");
    expect((await stranger.api.deployment.list({})).items).toEqual([]);
    const [first] = (await user.api.deployment.list({ limit: 1 })).items;
    for (const attempt of [
      () => stranger.api.deployment.get({ id: first?.id ?? "" }),
      () => stranger.api.deployment.scale({ id: first?.id ?? "", replicas: 1 }),
      () => stranger.api.deployment.stop({ id: first?.id ?? "" }),
      () => stranger.api.deployment.delete({ id: first?.id ?? "" }),
      () => stranger.api.deployment.logs({ id: first?.id ?? "" }),
      () => stranger.api.deployment.metrics({ id: first?.id ?? "" }),
    ]) {
      expect(await failureOf(attempt())).toMatchObject({
        code: "NOT_FOUND",
        message: "Deployment not found",
      });
    }
    expect((await failureOf(user.api.deployment.list({ cursor: "forged" }))).code).toBe(
      "BAD_REQUEST",
    );
  });

  it("says the local runtime does not enforce CPU, and refuses a rollout to another model's version", async () => {
    const { user, ready } = await setup("notices");
    const deployment = await user.api.deployment.create({
      versionId: ready.id,
      name: "cpu",
      replicas: 0,
      resources: { cpuRequest: "500m", cpuLimit: "1", memoryLimit: "1Gi" },
    });
    const detail = await user.api.deployment.get({ id: deployment.id });
    expect(detail.notices).toEqual([
      "CPU requests and limits are not enforced on the local runtime",
    ]);
    expect(detail.resources).toEqual({ cpuRequest: "500m", cpuLimit: "1", memoryLimit: "1Gi" });

    const model2 = await user.api.model.create({ name: "second" });
    const v = await user.api.version.create({ modelId: model2.id, tag: "v1", framework: "onnx" });
    await seedReadyVersion(h.deps, { userId: user.userId, versionId: v.id });
    const failure = await failureOf(
      user.api.deployment.update({ id: deployment.id, versionId: v.id }),
    );
    expect(failure).toMatchObject({ code: "BAD_REQUEST" });
    expect(failure.message).toMatch(/version of the deployed model/);
    // Deleting the version a live deployment uses is refused (the registry's guard).
    expect((await failureOf(user.api.version.delete({ id: ready.id }))).code).toBe("CONFLICT");
  });
});
