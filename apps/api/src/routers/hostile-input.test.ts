import { testDatabaseKinds } from "@kubeserve/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeCursor } from "../lib/cursor";
import { seedReadyVersion } from "../test/ready-version";
import { createHarness, failureOf, type THarness, type TSignedUp } from "../test/harness";
import { findStringLeaves, listProcedures } from "../test/input-schemas";

// Strings PostgreSQL cannot store (NUL) or UTF-8 cannot encode (unpaired surrogates), at every position.
const unstorable = [
  (s: string) => `${s}\u0000`,
  (_s: string) => "\u0000",
  (s: string) => `\uD800${s}`,
  (s: string) => `${s}\uDFFF`,
];

type TCall = (input: unknown) => Promise<unknown>;

function procedureOf(api: TSignedUp["api"], path: string): TCall {
  return path
    .split(".")
    .reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], api) as TCall;
}

/** Every string in a sample input (and every key inside free JSON), with a way to replace it. */
function stringSlots(value: unknown, path: string[] = [], isFreeJson = false) {
  const slots: {
    path: string;
    normalised: string;
    replace: (bad: (s: string) => string) => unknown;
  }[] = [];
  const visit = (
    node: unknown,
    at: (string | number)[],
    rebuild: (next: unknown) => unknown,
    free: boolean,
  ) => {
    const normalised = (free ? at.slice(0, at.findIndex((k) => k === "metadata") + 1) : at)
      .map((k) => (typeof k === "number" ? "[]" : k))
      .join(".");
    if (typeof node === "string") {
      slots.push({ path: at.join("."), normalised, replace: (bad) => rebuild(bad(node)) });
    } else if (Array.isArray(node)) {
      node.forEach((item, i) =>
        visit(item, [...at, i], (next) => rebuild(node.map((x, j) => (j === i ? next : x))), free),
      );
    } else if (node && typeof node === "object") {
      for (const [key, child] of Object.entries(node)) {
        const isFree = free || key === "metadata";
        visit(child, [...at, key], (next) => rebuild({ ...node, [key]: next }), isFree);
        if (free) {
          slots.push({
            path: `${[...at, key].join(".")} (key)`,
            normalised,
            replace: (bad) =>
              rebuild(
                Object.fromEntries(
                  Object.entries(node).map(([k, v]) => [k === key ? bad(k) : k, v]),
                ),
              ),
          });
        }
      }
    }
  };
  visit(value, path, (next) => next, isFreeJson);
  return slots;
}

describe.each(testDatabaseKinds)("hostile input on %s", (kind) => {
  let h: THarness;
  let user: TSignedUp;
  let samples: Record<string, unknown[]>;

  beforeAll(async () => {
    h = await createHarness(kind);
    user = await h.signUp("hostile");
    const model = await user.api.model.create({
      name: "iris",
      description: "d",
      tags: ["tabular"],
    });
    const version = await user.api.version.create({
      modelId: model.id,
      tag: "v1",
      framework: "onnx",
    });
    const key = await user.api.apiKey.create({ name: "k" });
    const deployable = await user.api.version.create({
      modelId: model.id,
      tag: "ready",
      framework: "onnx",
    });
    await seedReadyVersion(h.deps, { userId: user.userId, versionId: deployable.id });
    const deployment = await user.api.deployment.create({
      versionId: deployable.id,
      name: "idle",
      replicas: 0,
    });
    const byId = [{ id: deployment.id }];
    const inAnHour = new Date(Date.now() + 3_600_000).toISOString();
    // One valid input per procedure that fills every string field the schema has.
    samples = {
      "auth.register": [
        { email: "fresh@example.com", password: "long enough pass", name: "Fresh" },
      ],
      "auth.login": [{ email: user.email, password: "wrong password" }],
      "auth.me": [],
      "auth.logout": [],
      "auth.logoutAll": [],
      "apiKey.create": [
        { name: "ci", expiresAt: inAnHour, kind: "predict", deploymentIds: [deployment.id] },
      ],
      "apiKey.list": [{ includeRevoked: true }],
      "apiKey.revoke": [{ id: key.apiKey.id }],
      "model.create": [{ name: "fresh", description: "text", tags: ["a", "b"] }],
      "model.list": [
        { cursor: encodeCursor("iris", model.id), search: "ir", sortBy: "name", limit: 5 },
      ],
      "model.get": [{ id: model.id }, { name: "iris" }],
      "model.update": [{ id: model.id, description: "text", tags: ["c"] }],
      "model.delete": [{ id: model.id }],
      "version.create": [
        {
          modelId: model.id,
          tag: "v2",
          framework: "onnx",
          description: "text",
          metadata: { note: "n", nested: { list: ["x", { deep: "y" }] } },
        },
      ],
      "version.list": [
        { modelId: model.id, cursor: encodeCursor(new Date(), version.id), limit: 5 },
      ],
      "version.get": [{ id: version.id }, { modelId: model.id, tag: "v1" }],
      "version.update": [{ id: version.id, description: "text", metadata: { k: "v" } }],
      "version.signature": [{ id: version.id }],
      "version.uploadStatus": [{ id: version.id }],
      "version.delete": [{ id: version.id }],
      "deployment.create": [
        {
          versionId: deployable.id,
          name: "fresh",
          replicas: 0,
          resources: { cpuRequest: "1", cpuLimit: "2", memoryRequest: "1Gi", memoryLimit: "2Gi" },
        },
      ],
      "deployment.list": [
        { modelId: model.id, cursor: encodeCursor(new Date(), deployment.id), limit: 5 },
      ],
      "deployment.get": byId,
      "deployment.scale": [{ id: deployment.id, replicas: 0 }],
      "deployment.update": [{ id: deployment.id, versionId: deployable.id }],
      "deployment.stop": byId,
      "deployment.start": byId,
      "deployment.delete": byId,
      "deployment.logs": [{ id: deployment.id, lines: 5 }],
      "deployment.metrics": [{ id: deployment.id, window: "5m" }],
      "quota.get": [{ userId: user.userId }],
      "quota.set": [
        { userId: user.userId, maxDeployments: 1, maxReplicas: 1, maxCpu: "1", maxMemory: "1Gi" },
      ],
    };
  });
  afterAll(() => h.destroy());

  it("has a sample for every procedure, covering every string field of its input schema", () => {
    for (const procedure of listProcedures()) {
      const inputs = samples[procedure.path];
      expect(inputs, `add a sample input for ${procedure.path}`).toBeDefined();
      const covered = new Set(
        (inputs ?? []).flatMap((input) => stringSlots(input).map((s) => s.normalised)),
      );
      for (const leaf of procedure.inputs.flatMap((schema) => findStringLeaves(schema))) {
        expect(covered, `${procedure.path}: sample misses ${leaf.path}`).toContain(leaf.path);
      }
    }
  });

  it("every string schema of every input refuses NUL and unpaired surrogates", () => {
    for (const procedure of listProcedures()) {
      for (const leaf of procedure.inputs.flatMap((schema) => findStringLeaves(schema))) {
        const bad =
          leaf.kind === "custom"
            ? [{ note: "a\u0000" }, { "k\u0000": 1 }, { note: ["\uD800"] }]
            : ["ok\u0000", "\uD800", "x\uDFFFy"];
        for (const value of bad) {
          expect(
            leaf.schema.safeParse(value).success,
            `${procedure.path}.${leaf.path} ${JSON.stringify(value)}`,
          ).toBe(false);
        }
      }
    }
  });

  it("answers an unstorable character in any string field of any procedure with 400, writing nothing", async () => {
    const counts = () =>
      Promise.all([
        h.deps.db.user.count(),
        h.deps.db.model.count(),
        h.deps.db.modelVersion.count(),
        h.deps.db.apiKey.count(),
        h.deps.db.loginAttempt.count(),
      ]);
    const before = await counts();
    let calls = 0;
    for (const [path, inputs] of Object.entries(samples)) {
      for (const input of inputs) {
        for (const slot of stringSlots(input)) {
          for (const bad of unstorable) {
            const failure = await failureOf(procedureOf(user.api, path)(slot.replace(bad)));
            expect(failure.code, `${path} ${slot.path}: ${failure.message}`).toBe("BAD_REQUEST");
            calls++;
          }
        }
      }
    }
    expect(calls).toBeGreaterThan(100);
    expect(await counts()).toEqual(before);
  });

  it("refuses control characters in one-line fields, allows line breaks in descriptions", async () => {
    for (const call of [
      () => user.api.model.create({ name: "bell", description: "a\u0007b" }),
      () => user.api.apiKey.create({ name: "key\nname" }),
      () => user.api.apiKey.create({ name: "evil\u202Egnp.exe" }),
      () => user.api.model.list({ search: "ir\u001bis" }),
    ]) {
      expect((await failureOf(call())).code).toBe("BAD_REQUEST");
    }
    const model = await user.api.model.create({
      name: "multi",
      description: "line one\n\tline two\r\n",
    });
    expect((await user.api.model.get({ id: model.id })).description).toBe(
      "line one\n\tline two\r\n",
    );
    // Metadata is the user's own JSON: any storable text round-trips, control characters included.
    const version = await user.api.version.create({
      modelId: model.id,
      tag: "v1",
      framework: "onnx",
      metadata: { log: "\u0007\u001b[31mred\u001b[0m", emoji: "\uD83D\uDE00", "\uFFFF": "\u2028" },
    });
    expect((await user.api.version.get({ id: version.id })).metadata).toEqual(version.metadata);
    // A pasted trailing newline around an email is trimmed, not refused.
    const session = await h
      .caller()
      .auth.login({ email: `${user.email}\n`, password: user.password });
    expect(session.user.id).toBe(user.userId);
  });
});
