import { openDatabase, type TDatabase } from "@kubeserve/db";
import { testDatabaseKinds } from "@kubeserve/db/testing";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createContextInner } from "../context";
import { createDeps, type TDeps } from "../deps";
import { createCaller } from "./index";
import { createHarness, failureOf, type THarness } from "../test/harness";
import { recordErrorText } from "../test/leak-guard";

const limit = 5;
const limits = {
  LOGIN_MAX_FAILURES_PER_ACCOUNT: String(limit),
  LOGIN_MAX_FAILURES_PER_IP: "1000",
  LOGIN_MAX_FAILURES_PER_DEVICE: "3",
};

async function guessAll(calls: (() => Promise<unknown>)[]) {
  const outcomes = await Promise.all(calls.map((call) => failureOf(call())));
  const codes = outcomes.map((o) => o.code);
  return {
    unauthorized: codes.filter((c) => c === "UNAUTHORIZED").length,
    limited: codes.filter((c) => c === "TOO_MANY_REQUESTS").length,
    other: codes.filter((c) => c !== "UNAUTHORIZED" && c !== "TOO_MANY_REQUESTS"),
  };
}

// Each recorded attempt is exactly one password verification (count → verify → record in one lock).
const verifiedCount = (h: THarness, email: string) =>
  h.deps.db.loginAttempt.count({ where: { email, isSuccess: false } });

describe.each(testDatabaseKinds)("login limiter under concurrency on %s", (kind) => {
  let h: THarness;
  beforeAll(async () => {
    h = await createHarness(kind, limits);
  });
  afterAll(() => h.destroy());

  it("checks at most the limit of 50 parallel wrong guesses for one account", async () => {
    const user = await h.signUp("parallel");
    const guess = (i: number) => () =>
      h
        .caller(undefined, { ip: `10.7.${i}.1` })
        .auth.login({ email: user.email, password: `wrong-${i}-guess` });
    const result = await guessAll(Array.from({ length: 50 }, (_, i) => guess(i)));
    expect(result).toEqual({ unauthorized: limit, limited: 50 - limit, other: [] });
    expect(await verifiedCount(h, user.email)).toBe(limit);
    // The lockout covers the right password too, for a client without a device cookie.
    const locked = await failureOf(
      h.caller().auth.login({ email: user.email, password: user.password }),
    );
    expect(locked.code).toBe("TOO_MANY_REQUESTS");
  });

  it("refuses registrations past the per-network limit, counting an IPv6 /64 as one client", async () => {
    const limited = h.callerWith({ REGISTRATION_MAX_PER_IP: "3" });
    const register = (ip: string, i: number) =>
      limited(undefined, { ip }).auth.register({
        email: `r${i}-${ip.replace(/\W/g, "")}@example.com`,
        password: "long enough pass",
      });
    // 20 at once from one address: exactly 3 get through.
    const burst = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => register("10.9.9.9", i)),
    );
    expect(burst.filter((r) => r.status === "fulfilled")).toHaveLength(3);
    const refused = await failureOf(register("10.9.9.9", 99));
    expect(refused.code).toBe("TOO_MANY_REQUESTS");
    expect(refused.message).toMatch(/Too many registrations from this address: try again in \d+ s/);
    // Rotating through one /64 is one client; another /64 is another.
    for (const [i, ip] of [
      "2001:db8:5:6::1",
      "2001:db8:5:6::2",
      "2001:db8:5:6:ffff::3",
    ].entries()) {
      await register(ip, i);
    }
    expect((await failureOf(register("2001:db8:5:6:1234::4", 4))).code).toBe("TOO_MANY_REQUESTS");
    expect((await register("2001:db8:5:7::1", 5)).user.email).toMatch(/^r5-/);
    // Even a refused duplicate counts, so probing which emails exist is throttled too.
    expect(await h.deps.db.registrationAttempt.count({ where: { ip: "10.9.9.9" } })).toBe(3);
  });

  it("counts failed logins from one IPv6 /64 together", async () => {
    const perIp = h.callerWith({ LOGIN_MAX_FAILURES_PER_IP: "4" });
    for (let i = 0; i < 4; i++) {
      await failureOf(
        perIp(undefined, { ip: `2001:db8:aa:bb::${i + 1}` }).auth.login({
          email: `nobody${i}@example.com`,
          password: "guess-guess",
        }),
      );
    }
    const failure = await failureOf(
      perIp(undefined, { ip: "2001:db8:aa:bb:9::9" }).auth.login({
        email: "other@example.com",
        password: "guess-guess",
      }),
    );
    expect(failure.message).toMatch(/from this address/);
    const elsewhere = await failureOf(
      perIp(undefined, { ip: "2001:db8:aa:bc::1" }).auth.login({
        email: "other@example.com",
        password: "guess-guess",
      }),
    );
    expect(elsewhere.code).toBe("UNAUTHORIZED");
  });
});

describe("login limiter across API replicas (PostgreSQL, parallel connections)", () => {
  let h: THarness;
  const replicas: { database: TDatabase; deps: TDeps }[] = [];
  beforeAll(async () => {
    h = await createHarness("postgres", limits);
    // Five API processes' worth of state: each its own pool (5 connections) and its own login queue.
    for (let i = 0; i < 5; i++) {
      const database = await openDatabase({
        url: h.database.url,
        pgliteDir: "memory://",
        migrations: "check",
        poolSize: 5,
      });
      const deps = createDeps({
        db: database.prisma,
        sql: database.sql,
        config: h.config,
        log: pino({ level: "silent" }),
      });
      replicas.push({ database, deps });
    }
  });
  afterAll(async () => {
    await Promise.all(replicas.map((replica) => replica.database.close()));
    await h.destroy();
  });

  it("checks at most the limit of 50 wrong guesses spread over 5 replicas", async () => {
    const user = await h.signUp("replicas");
    const calls = Array.from({ length: 50 }, (_, i) => () => {
      const replica = replicas[i % replicas.length] as { deps: TDeps };
      const caller = createCaller(createContextInner(replica.deps, { ip: `10.8.${i}.1` }), {
        onError: ({ error }) => recordErrorText("replica auth.login", error.message),
      });
      return caller.auth.login({ email: user.email, password: `wrong-${i}-guess` });
    });
    const result = await guessAll(calls);
    expect(result).toEqual({ unauthorized: limit, limited: 50 - limit, other: [] });
    expect(await verifiedCount(h, user.email)).toBe(limit);
  });

  it("holds with the process queue taken away: 50 guesses at once on 10 connections, only the advisory lock between them", async () => {
    // The per-process queue alone makes the tests above pass without the lock; here nothing else serialises.
    const database = await openDatabase({
      url: h.database.url,
      pgliteDir: "memory://",
      migrations: "check",
      poolSize: 10,
    });
    try {
      const deps: TDeps = {
        ...createDeps({
          db: database.prisma,
          sql: database.sql,
          config: h.config,
          log: pino({ level: "silent" }),
        }),
        loginQueue: { run: (_key, task) => task() },
      };
      const user = await h.signUp("unqueued");
      const calls = Array.from({ length: 50 }, (_, i) => () => {
        const caller = createCaller(createContextInner(deps, { ip: `10.6.${i}.1` }), {
          onError: ({ error }) => recordErrorText("unqueued auth.login", error.message),
        });
        return caller.auth.login({ email: user.email, password: `wrong-${i}-guess` });
      });
      const result = await guessAll(calls);
      expect(result.unauthorized).toBe(limit);
      expect(await verifiedCount(h, user.email)).toBe(limit);
      // 50 transactions queue on 10 connections: on a slow machine a wait for one may time out, and that
      // is a 503 to retry (never a 500, never an extra verification).
      expect(new Set(result.other)).toEqual(
        new Set(result.other.length > 0 ? ["SERVICE_UNAVAILABLE"] : []),
      );
      expect(result.limited + result.other.length).toBe(50 - limit);
    } finally {
      await database.close();
    }
  });
});
