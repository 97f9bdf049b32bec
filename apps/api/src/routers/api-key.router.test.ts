import { testDatabaseKinds } from "@kubeserve/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashApiKey } from "../lib/api-key-secret";
import { createHarness, failureOf, type THarness } from "../test/harness";

describe.each(testDatabaseKinds)("apiKey router on %s", (kind) => {
  let h: THarness;
  beforeAll(async () => {
    h = await createHarness(kind);
  });
  afterAll(() => h.destroy());

  it("creates a key shown once, stores only its hash, and lists it without the secret", async () => {
    const user = await h.signUp("keys");
    const created = await user.api.apiKey.create({ name: "ci pipeline" });
    expect(created.secret).toMatch(/^ks_[A-Za-z0-9]{8}_[A-Za-z0-9]{32}$/);
    expect(created.secret.startsWith(`${created.apiKey.prefix}_`)).toBe(true);
    expect(created.apiKey).toMatchObject({
      name: "ci pipeline",
      userId: user.userId,
      expiresAt: null,
    });

    const row = await h.deps.db.apiKey.findUnique({
      where: { id: created.apiKey.id },
      select: { keyHash: true },
    });
    expect(row?.keyHash).toBe(hashApiKey(created.secret));

    const listed = await user.api.apiKey.list();
    expect(listed).toEqual([created.apiKey]);
    expect(JSON.stringify(listed)).not.toContain(created.secret);
  });

  it("authenticates every protected procedure with the key and records when it was last used", async () => {
    const user = await h.signUp("usekey");
    const { secret, apiKey } = await user.api.apiKey.create({ name: "script" });
    const viaKey = h.caller(secret);
    expect(await viaKey.auth.me()).toMatchObject({
      authenticatedWith: "api_key",
      user: { id: user.userId },
    });
    const model = await viaKey.model.create({ name: "made-by-key" });
    expect(model.ownerId).toBe(user.userId);
    const [listed] = await user.api.apiKey.list();
    expect(listed?.id).toBe(apiKey.id);
    expect(listed?.lastUsedAt).not.toBeNull();
  });

  it("rejects a revoked key immediately and keeps it listed as revoked", async () => {
    const user = await h.signUp("revoke");
    const { secret, apiKey } = await user.api.apiKey.create({ name: "temporary" });
    const revoked = await user.api.apiKey.revoke({ id: apiKey.id });
    expect(revoked.revokedAt).not.toBeNull();
    expect(await failureOf(h.caller(secret).auth.me())).toEqual({
      code: "UNAUTHORIZED",
      message: "This API key has been revoked",
    });
    expect(await user.api.apiKey.list()).toEqual([]);
    expect(await user.api.apiKey.list({ includeRevoked: true })).toEqual([revoked]);
    // Revoking twice is harmless and keeps the first revocation time.
    expect((await user.api.apiKey.revoke({ id: apiKey.id })).revokedAt).toBe(revoked.revokedAt);
  });

  it("honours an expiry date", async () => {
    const user = await h.signUp("expiry");
    const inOneHour = new Date(Date.now() + 3_600_000).toISOString();
    const { secret, apiKey } = await user.api.apiKey.create({
      name: "short-lived",
      expiresAt: inOneHour,
    });
    expect(apiKey.expiresAt).toBe(inOneHour);
    expect((await h.caller(secret).auth.me()).user.id).toBe(user.userId);
    // Move the expiry into the past, as time would.
    await h.deps.db.apiKey.update({
      where: { id: apiKey.id },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    expect(await failureOf(h.caller(secret).auth.me())).toEqual({
      code: "UNAUTHORIZED",
      message: "This API key has expired",
    });
  });

  it("rejects bad input and unknown or malformed keys, writing nothing", async () => {
    const user = await h.signUp("badkeys");
    const before = await h.deps.db.apiKey.count();
    const cases: [unknown, RegExp][] = [
      [{ name: "" }, /Key name is required/],
      [{ name: "x".repeat(65) }, /at most 64 characters/],
      [{ name: "ok", expiresAt: "tomorrow" }, /ISO 8601/],
      [{ name: "ok", expiresAt: "2001-01-01T00:00:00Z" }, /expiresAt must be in the future/],
      [{ name: "ok", scopes: ["admin"] }, /Unrecognized key: "scopes"/],
    ];
    for (const [input, message] of cases) {
      const failure = await failureOf(user.api.apiKey.create(input as never));
      expect(failure.code).toBe("BAD_REQUEST");
      expect(failure.message).toMatch(message);
    }
    expect(await h.deps.db.apiKey.count()).toBe(before);

    const { secret } = await user.api.apiKey.create({ name: "real" });
    const wrongSecret = `${secret.slice(0, -1)}${secret.endsWith("A") ? "B" : "A"}`;
    for (const bad of [wrongSecret, "ks_short", "ks_AAAAAAAA_'OR'1'='1"]) {
      expect(await failureOf(h.caller(bad).auth.me())).toEqual({
        code: "UNAUTHORIZED",
        message: "Invalid API key",
      });
    }
    expect((await failureOf(user.api.apiKey.revoke({ id: "not-a-uuid" }))).code).toBe(
      "BAD_REQUEST",
    );
  });

  it("a key cannot log out, because logout revokes access tokens", async () => {
    const user = await h.signUp("keylogout");
    const { secret } = await user.api.apiKey.create({ name: "k" });
    const failure = await failureOf(h.caller(secret).auth.logout());
    expect(failure.code).toBe("BAD_REQUEST");
    expect((await h.caller(secret).auth.me()).user.id).toBe(user.userId);
  });
});
