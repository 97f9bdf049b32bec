import { testDatabaseKinds } from "@kubeserve/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tenantQuotaOf } from "../services/quota.service";
import { createHarness, failureOf, type THarness, type TSignedUp } from "../test/harness";
import { seedReadyVersion } from "../test/ready-version";

// Per-user quota overrides: only admins set them, everyone is checked against them on create, scale,
// start and autoscaling changes. Deployments here keep 0 replicas (or are refused), so no process starts;
// the kubernetes router test shows a deploy that fits and the override landing in the ResourceQuota.

describe.each(testDatabaseKinds)("quota router on %s", (kind) => {
  let h: THarness;
  let admin: TSignedUp;
  beforeAll(async () => {
    h = await createHarness(kind);
    admin = await h.signUp("admin");
    await h.deps.db.user.update({
      where: { id: admin.userId },
      data: { role: "admin" },
      select: { id: true },
    });
  });
  afterAll(() => h.destroy());

  async function readyVersion(user: TSignedUp) {
    const model = await user.api.model.create({ name: "iris" });
    const version = await user.api.version.create({
      modelId: model.id,
      tag: "v1",
      framework: "onnx",
    });
    await seedReadyVersion(h.deps, { userId: user.userId, versionId: version.id });
    return version.id;
  }

  it("set is admin-only: a user (even for themselves) and an anonymous caller are refused", async () => {
    const user = await h.signUp("plain");
    const forbidden = await failureOf(
      user.api.quota.set({ userId: user.userId, maxDeployments: 100 }),
    );
    expect(forbidden).toEqual({
      code: "FORBIDDEN",
      message: "Only an admin can change a user's quota",
    });
    expect((await failureOf(h.caller().quota.set({ userId: user.userId }))).code).toBe(
      "UNAUTHORIZED",
    );
    expect(await h.deps.db.userQuota.count({ where: { userId: user.userId } })).toBe(0);
    // A user reads their own limits; another user's are a 404, as if the user did not exist.
    expect(await user.api.quota.get({ userId: user.userId })).toMatchObject({
      maxDeployments: null,
      usage: { deployments: 0, replicas: 0, cpu: "0", memory: "0" },
    });
    const other = await h.signUp("other");
    expect((await failureOf(user.api.quota.get({ userId: other.userId }))).code).toBe("NOT_FOUND");
  });

  it("refuses bad limits and unknown users with a message naming the field", async () => {
    const user = await h.signUp("bad");
    const negative = await failureOf(admin.api.quota.set({ userId: user.userId, maxReplicas: -1 }));
    expect(negative).toEqual({
      code: "BAD_REQUEST",
      message: "maxReplicas: maxReplicas must be 0 or more",
    });
    const cpu = await failureOf(admin.api.quota.set({ userId: user.userId, maxCpu: "lots" }));
    expect(cpu.message).toBe("maxCpu: must be a CPU quantity such as 500m or 2");
    const unknown = await failureOf(
      admin.api.quota.set({ userId: "0190a6f2-7c1e-7a3b-9c4d-5e6f7a8b9c0d", maxReplicas: 1 }),
    );
    expect(unknown).toEqual({ code: "NOT_FOUND", message: "User not found" });
  });

  it("enforces each limit on create, scale, autoscaling and start with a 403 naming it", async () => {
    const user = await h.signUp("limited");
    const versionId = await readyVersion(user);
    const set = await admin.api.quota.set({
      userId: user.userId,
      maxDeployments: 2,
      maxReplicas: 2,
      maxCpu: "1500m",
      maxMemory: "1Gi",
    });
    expect(set).toMatchObject({ maxDeployments: 2, maxReplicas: 2, maxCpu: "1500m" });
    expect(await tenantQuotaOf(h.deps.db, user.userId)).toEqual({
      cpu: "1500m",
      memory: "1Gi",
      pods: 2,
    });
    const a = await user.api.deployment.create({
      versionId,
      name: "a",
      replicas: 0,
      resources: { cpuLimit: "1" },
    });
    const scaleTooFar = await failureOf(user.api.deployment.scale({ id: a.id, replicas: 3 }));
    expect(scaleTooFar.code).toBe("FORBIDDEN");
    expect(scaleTooFar.message).toMatch(/^Quota exceeded: maxReplicas is 2 .* asks for 3/);
    const cpu = await failureOf(user.api.deployment.scale({ id: a.id, replicas: 2 }));
    expect(cpu.message).toMatch(/^Quota exceeded: maxCpu is 1500m .*this asks for 2;/);
    const autoscaled = await failureOf(
      user.api.deployment.create({
        versionId,
        name: "auto",
        replicas: 0,
        autoscaling: { minReplicas: 0, maxReplicas: 3, targetInFlight: 4 },
      }),
    );
    expect(autoscaled.message).toMatch(/maxReplicas is 2 .* asks for 3/);
    const b = await user.api.deployment.create({
      versionId,
      name: "b",
      replicas: 0,
      resources: { cpuLimit: "500m", memoryLimit: "768Mi" },
    });
    const memory = await failureOf(user.api.deployment.scale({ id: b.id, replicas: 2 }));
    expect(memory.message).toMatch(/^Quota exceeded: maxMemory is 1Gi .*this asks for 1536Mi/);
    const raise = await failureOf(
      user.api.deployment.update({
        id: b.id,
        autoscaling: { minReplicas: 0, maxReplicas: 4, targetInFlight: 4 },
      }),
    );
    expect(raise.message).toMatch(/maxReplicas is 2/);
    const third = await failureOf(
      user.api.deployment.create({ versionId, name: "c", replicas: 0 }),
    );
    expect(third).toEqual({
      code: "FORBIDDEN",
      message:
        "Quota exceeded: maxDeployments is 2 and you have 2 deployment(s); an admin can raise it (quota.set)",
    });
    // Nothing refused was written.
    expect((await user.api.deployment.get({ id: a.id })).replicas).toBe(0);
    expect((await user.api.deployment.get({ id: b.id })).autoscaling).toBeNull();

    // Starting a stopped deployment counts again: a stopped one's replicas are free until then.
    await h.deps.db.deployment.update({
      where: { id: b.id },
      data: { desiredState: "stopped", replicas: 3 },
      select: { id: true },
    });
    const start = await failureOf(user.api.deployment.start({ id: b.id }));
    expect(start.message).toMatch(/maxReplicas is 2 .* asks for 3/);
    expect(await user.api.quota.get({ userId: user.userId })).toMatchObject({
      usage: { deployments: 2, replicas: 0, cpu: "0", memory: "0" },
    });

    // Clearing a limit (null) lifts it; other limits stay.
    await admin.api.quota.set({ userId: user.userId, maxDeployments: null });
    await user.api.deployment.create({ versionId, name: "c", replicas: 0 });
    expect((await admin.api.quota.get({ userId: user.userId })).maxReplicas).toBe(2);
  });
});
