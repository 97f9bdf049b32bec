import { testDatabaseKinds } from "@kubeserve/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTokenSigner } from "../lib/tokens";
import { pruneAuthRecords } from "../services/login-limit.service";
import { createHarness, failureOf, type THarness } from "../test/harness";

describe.each(testDatabaseKinds)("auth router on %s", (kind) => {
  let h: THarness;
  beforeAll(async () => {
    h = await createHarness(kind, {
      LOGIN_MAX_FAILURES_PER_ACCOUNT: "3",
      LOGIN_MAX_FAILURES_PER_IP: "6",
    });
  });
  afterAll(() => h.destroy());

  describe("register", () => {
    it("creates a user with a normalised email, an argon2id hash and a working token", async () => {
      const session = await h.caller().auth.register({
        email: "  Ada.Lovelace@Example.COM ",
        password: "analytical engine",
        name: "Ada",
      });
      expect(session.user).toMatchObject({
        email: "ada.lovelace@example.com",
        name: "Ada",
        role: "user",
      });
      expect(new Date(session.expiresAt).getTime()).toBeGreaterThan(Date.now());

      const row = await h.deps.db.user.findUnique({
        where: { email: "ada.lovelace@example.com" },
        select: { passwordHash: true },
      });
      expect(row?.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      expect(row?.passwordHash).not.toContain("analytical engine");

      const me = await h.caller(session.accessToken).auth.me();
      expect(me).toEqual({ user: session.user, authenticatedWith: "access_token" });
    });

    it("refuses a second account for the same email in any case, writing nothing", async () => {
      await h.caller().auth.register({ email: "twice@example.com", password: "password-one" });
      const failure = await failureOf(
        h.caller().auth.register({ email: "TWICE@example.com", password: "password-two" }),
      );
      expect(failure).toEqual({
        code: "CONFLICT",
        message: "An account for twice@example.com already exists",
      });
      expect(await h.deps.db.user.count({ where: { email: "twice@example.com" } })).toBe(1);
    });

    it.each([
      [{ email: "", password: "long enough pass" }, /email: Email must be a valid address/],
      [
        { email: "not-an-email", password: "long enough pass" },
        /email: Email must be a valid address/,
      ],
      [
        { email: `${"a".repeat(250)}@x.io`, password: "long enough pass" },
        /at most 254 characters/,
      ],
      [
        { email: "short@example.com", password: "123456789" },
        /password: Password must be 10–128 characters long/,
      ],
      [
        { email: "long@example.com", password: "x".repeat(129) },
        /Password must be 10–128 characters long/,
      ],
      [
        { email: "extra@example.com", password: "long enough pass", role: "admin" },
        /Unrecognized key: "role"/,
      ],
    ])("rejects %j with a clear message and writes nothing", async (input, message) => {
      const before = await h.deps.db.user.count();
      const failure = await failureOf(h.caller().auth.register(input as never));
      expect(failure.code).toBe("BAD_REQUEST");
      expect(failure.message).toMatch(message);
      expect(await h.deps.db.user.count()).toBe(before);
    });

    it("is refused when registration is disabled", async () => {
      const closed = await createHarness(kind, { AUTH_ALLOW_REGISTRATION: "false" });
      try {
        const failure = await failureOf(
          closed.caller().auth.register({ email: "x@example.com", password: "long enough pass" }),
        );
        expect(failure.code).toBe("FORBIDDEN");
        expect(await closed.deps.db.user.count()).toBe(0);
      } finally {
        await closed.destroy();
      }
    });
  });

  describe("login", () => {
    it("returns a new session for the right password, with any email case", async () => {
      const user = await h.signUp("login");
      const session = await h
        .caller()
        .auth.login({ email: user.email.toUpperCase(), password: user.password });
      expect(session.user.id).toBe(user.userId);
      expect(session.accessToken).not.toBe(user.token);
      expect((await h.caller(session.accessToken).auth.me()).user.email).toBe(user.email);
    });

    it("gives the same answer for a wrong password and an unknown email", async () => {
      const user = await h.signUp("wrongpw");
      const wrong = await failureOf(
        h
          .caller(undefined, { ip: "10.0.0.1" })
          .auth.login({ email: user.email, password: "not the password" }),
      );
      const unknown = await failureOf(
        h
          .caller(undefined, { ip: "10.0.0.1" })
          .auth.login({ email: "nobody@example.com", password: "whatever1234" }),
      );
      expect(wrong).toEqual({ code: "UNAUTHORIZED", message: "Invalid email or password" });
      expect(unknown).toEqual(wrong);
    });

    it("limits failed attempts per account, even with the right password afterwards", async () => {
      const user = await h.signUp("limited");
      for (let i = 0; i < 3; i++) {
        const failure = await failureOf(
          h
            .caller(undefined, { ip: `10.1.0.${i}` })
            .auth.login({ email: user.email, password: "bad password!" }),
        );
        expect(failure.code).toBe("UNAUTHORIZED");
      }
      const limited = await failureOf(
        h
          .caller(undefined, { ip: "10.1.0.9" })
          .auth.login({ email: user.email, password: user.password }),
      );
      expect(limited.code).toBe("TOO_MANY_REQUESTS");
      expect(limited.message).toMatch(
        /Too many failed logins for this account: try again in \d+ s/,
      );
    });

    it("limits failed attempts per IP across accounts", async () => {
      const ip = "10.2.0.1";
      for (let i = 0; i < 6; i++) {
        await failureOf(
          h
            .caller(undefined, { ip })
            .auth.login({ email: `spray-${i}@example.com`, password: "guess-1234" }),
        );
      }
      const user = await h.signUp("sprayvictim");
      const limited = await failureOf(
        h.caller(undefined, { ip }).auth.login({ email: user.email, password: user.password }),
      );
      expect(limited.code).toBe("TOO_MANY_REQUESTS");
      expect(limited.message).toMatch(/from this address/);
      const elsewhere = await h.caller(undefined, { ip: "10.2.0.2" }).auth.login({
        email: user.email,
        password: user.password,
      });
      expect(elsewhere.user.id).toBe(user.userId);
    });
  });

  describe("tokens", () => {
    it("rejects a missing, malformed, tampered, foreign-signed or expired token", async () => {
      const user = await h.signUp("tokens");
      const [header, payload, signature] = user.token.split(".") as [string, string, string];
      const claims = JSON.parse(Buffer.from(payload, "base64url").toString()) as Record<
        string,
        unknown
      >;
      const forged = Buffer.from(
        JSON.stringify({ ...claims, sub: "00000000-0000-7000-8000-000000000000" }),
      ).toString("base64url");
      const foreign = await createTokenSigner("another-secret-another-secret-0123456789").sign(
        { userId: user.userId, sessionId: claims.jti as string },
        new Date(Date.now() + 60_000),
      );
      const expired = await h.deps.tokens.sign(
        { userId: user.userId, sessionId: claims.jti as string },
        new Date(Date.now() - 1_000),
      );

      expect(await failureOf(h.caller().auth.me())).toEqual({
        code: "UNAUTHORIZED",
        message: "Sign in: send Authorization: Bearer <access token or API key>",
      });
      expect(
        await failureOf(h.caller(undefined, { credential: `Token ${user.token}` }).auth.me()),
      ).toEqual({ code: "UNAUTHORIZED", message: "Authorization header must be 'Bearer <token>'" });
      for (const bad of [`${header}.${forged}.${signature}`, "garbage", foreign]) {
        expect(await failureOf(h.caller(bad).auth.me())).toEqual({
          code: "UNAUTHORIZED",
          message: "Invalid access token",
        });
      }
      expect(await failureOf(h.caller(expired).auth.me())).toEqual({
        code: "UNAUTHORIZED",
        message: "Access token expired: log in again",
      });
    });

    it("logout revokes only the current token", async () => {
      const user = await h.signUp("logout");
      const second = await h.caller().auth.login({ email: user.email, password: user.password });
      expect(await user.api.auth.logout()).toEqual({ ok: true });
      expect(await failureOf(user.api.auth.me())).toEqual({
        code: "UNAUTHORIZED",
        message: "Access token revoked: log in again",
      });
      expect((await h.caller(second.accessToken).auth.me()).user.id).toBe(user.userId);
    });

    it("logoutAll revokes every session of the user and no one else's", async () => {
      const user = await h.signUp("logoutall");
      const other = await h.signUp("bystander");
      const second = await h.caller().auth.login({ email: user.email, password: user.password });
      expect(await user.api.auth.logoutAll()).toEqual({ revokedSessions: 2 });
      expect((await failureOf(h.caller(second.accessToken).auth.me())).code).toBe("UNAUTHORIZED");
      expect((await other.api.auth.me()).user.id).toBe(other.userId);
    });
  });
});

describe("pruning auth records", () => {
  it("drops day-old login attempts and long-expired sessions, keeping live ones", async () => {
    const h = await createHarness("postgres");
    try {
      const user = await h.signUp("prune");
      const old = new Date(Date.now() - 2 * 86_400_000);
      await h.deps.db.loginAttempt.createMany({
        data: [
          { email: user.email, ip: "10.9.0.1", isSuccess: false, createdAt: old },
          { email: user.email, ip: "10.9.0.1", isSuccess: false },
        ],
      });
      await h.deps.db.session.create({
        data: {
          id: "00000000-0000-4000-8000-000000000001",
          userId: user.userId,
          expiresAt: old,
          createdAt: old,
        },
      });
      expect(await pruneAuthRecords(h.deps)).toEqual({
        attempts: 1,
        registrations: 0,
        sessions: 1,
      });
      expect(await h.deps.db.loginAttempt.count()).toBe(1);
      expect((await user.api.auth.me()).user.id).toBe(user.userId);
    } finally {
      await h.destroy();
    }
  });
});
