import { testDatabaseKinds } from "@kubeserve/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiClient, TRPCClientError } from "../client";
import { createDeviceTokens } from "../lib/device-cookie";
import { createHarness, startHttp, type THarness, type THttpServer } from "../test/harness";

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "OK";
  } catch (error) {
    if (error instanceof TRPCClientError) return (error.data as { code: string }).code;
    throw error;
  }
}

const password = "the right password";

describe.each(testDatabaseKinds)("device cookies and batched guesses over HTTP on %s", (kind) => {
  let h: THarness;
  let server: THttpServer;

  beforeAll(async () => {
    h = await createHarness(kind, {
      LOGIN_MAX_FAILURES_PER_ACCOUNT: "5",
      LOGIN_MAX_FAILURES_PER_DEVICE: "3",
    });
    server = await startHttp(h);
  });
  afterAll(async () => {
    await server.close();
    await h.destroy();
  });

  async function account(label: string) {
    const email = `${label}@example.com`;
    await h.caller().auth.register({ email, password });
    return email;
  }

  it("sets a signed, long-lived, HttpOnly device cookie on a successful login only", async () => {
    const email = await account("cookie");
    const login = (pw: string) =>
      fetch(`${server.url}/trpc/auth.login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email, password: pw }),
      });
    const failed = await login("not the password");
    expect(failed.status).toBe(401);
    expect(failed.headers.getSetCookie()).toEqual([]);
    const ok = await login(password);
    const [cookie] = ok.headers.getSetCookie();
    expect(cookie).toMatch(
      new RegExp(
        `^ks_device=[\\w-]+\\.[\\w-]+\\.[\\w-]+; Max-Age=${180 * 86_400}; Path=/trpc; HttpOnly; SameSite=Strict$`,
      ),
    );
  });

  it("keeps the owner's known device able to log in while strangers have locked the account", async () => {
    const email = await account("owner");
    let saved: string | undefined;
    const owner = createApiClient({ url: server.url, onDeviceToken: (token) => (saved = token) });
    await owner.auth.login.mutate({ email, password });
    expect(saved).toBeDefined();

    const stranger = createApiClient({ url: server.url });
    for (let i = 0; i < 5; i++) {
      expect(
        await codeOf(stranger.auth.login.mutate({ email, password: `guess-${i}-wrong` })),
      ).toBe("UNAUTHORIZED");
    }
    // Locked for everyone without the cookie, even with the right password.
    expect(await codeOf(stranger.auth.login.mutate({ email, password }))).toBe("TOO_MANY_REQUESTS");
    expect(await codeOf(owner.auth.login.mutate({ email, password }))).toBe("OK");
    // A new client given the saved token (a script's next run) is recognised too.
    const nextRun = createApiClient({ url: server.url, deviceToken: saved });
    expect(await codeOf(nextRun.auth.login.mutate({ email, password }))).toBe("OK");

    // The device's own small limit: after 3 wrong guesses it is a stranger like any other.
    for (let i = 0; i < 3; i++) {
      expect(await codeOf(owner.auth.login.mutate({ email, password: `typo-${i}-wrong` }))).toBe(
        "UNAUTHORIZED",
      );
    }
    expect(await codeOf(owner.auth.login.mutate({ email, password }))).toBe("TOO_MANY_REQUESTS");
  });

  it("exempts no one with a cookie for another account, a forged cookie, or one signed with another secret", async () => {
    const victim = await account("victim");
    const other = await account("other");
    const otherClient = createApiClient({ url: server.url });
    await otherClient.auth.login.mutate({ email: other, password });
    const stranger = createApiClient({ url: server.url });
    for (let i = 0; i < 5; i++)
      await codeOf(stranger.auth.login.mutate({ email: victim, password: `wrong-${i}-guess` }));

    const foreign = await createDeviceTokens(
      "another-secret-another-secret-0123456789",
      3600,
    ).issue(victim);
    const genuine = await h.deps.deviceTokens.issue(victim);
    const tampered = `${genuine.slice(0, -3)}abc`;
    for (const client of [
      otherClient,
      createApiClient({ url: server.url, deviceToken: foreign }),
      createApiClient({ url: server.url, deviceToken: tampered }),
      createApiClient({ url: server.url, deviceToken: "garbage" }),
    ]) {
      expect(await codeOf(client.auth.login.mutate({ email: victim, password }))).toBe(
        "TOO_MANY_REQUESTS",
      );
    }
    // Only a genuine token for this account gets through.
    const holder = createApiClient({ url: server.url, deviceToken: genuine });
    expect(await codeOf(holder.auth.login.mutate({ email: victim, password }))).toBe("OK");
  });

  it("checks at most the limit when 60 wrong guesses arrive as three parallel batches of 20", async () => {
    const email = await account("batched");
    const paths = Array.from({ length: 20 }, () => "auth.login").join(",");
    const body = JSON.stringify(
      Object.fromEntries(
        Array.from({ length: 20 }, (_, i) => [i, { email, password: `wrong-${i}-guess` }]),
      ),
    );
    const responses = await Promise.all(
      [1, 2, 3].map(() =>
        fetch(`${server.url}/trpc/${paths}?batch=1`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body,
        }).then((r) => r.json() as Promise<{ error: { data: { code: string } } }[]>),
      ),
    );
    const codes = responses.flat().map((item) => item.error.data.code);
    expect(codes.filter((code) => code === "UNAUTHORIZED")).toHaveLength(5);
    expect(codes.filter((code) => code === "TOO_MANY_REQUESTS")).toHaveLength(55);
    expect(await h.deps.db.loginAttempt.count({ where: { email } })).toBe(5);
  });
});
