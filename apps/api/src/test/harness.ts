import { mkdtempSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TDatabaseKind } from "@kubeserve/db";
import { createTestDatabase, type TTestDatabase } from "@kubeserve/db/testing";
import type { FastifyInstance } from "fastify";
import { pino } from "pino";
import { buildApp } from "../app";
import { readApiConfig, type TApiConfig } from "../config";
import { createContextInner, type TRequestInfo } from "../context";
import { createDeps, type TDeps } from "../deps";
import type { TLingerOptions } from "../lib/lingering-close";
import type { TReadinessCheck } from "../lib/readiness";
import { createCaller } from "../routers";
import { startRuntime } from "../services/deployment-runtime";
import { recordErrorText } from "./leak-guard";

export type THarness = {
  kind: TDatabaseKind;
  database: TTestDatabase;
  deps: TDeps;
  config: TApiConfig;
  /** A caller as an anonymous client, or with `Authorization: Bearer <credential>`. */
  caller: (credential?: string, request?: Partial<TRequestInfo>) => ReturnType<typeof createCaller>;
  /** A caller for the same database under other settings, as another API configuration would be. */
  callerWith: (
    overrides: Record<string, string>,
  ) => (credential?: string, request?: Partial<TRequestInfo>) => ReturnType<typeof createCaller>;
  /** Registers a fresh user and returns its token and an authenticated caller. */
  signUp: (label?: string) => Promise<TSignedUp>;
  destroy: () => Promise<void>;
};

export type TSignedUp = {
  userId: string;
  email: string;
  password: string;
  token: string;
  api: ReturnType<typeof createCaller>;
};

let counter = 0;

export function testConfig(overrides: Record<string, string> = {}): TApiConfig {
  return readApiConfig({
    NODE_ENV: "test",
    KUBESERVE_HOME: mkdtempSync(path.join(tmpdir(), "ks-api-test-")),
    AUTH_SECRET: "test-secret-test-secret-test-secret-0123456789",
    LOG_LEVEL: "silent",
    // Suites register many users from one address; the limit's own tests lower it.
    REGISTRATION_MAX_PER_IP: "100000",
    ...overrides,
  });
}

export async function createHarness(
  kind: TDatabaseKind,
  configOverrides: Record<string, string> = {},
): Promise<THarness> {
  const database = await createTestDatabase(kind);
  const config = testConfig(configOverrides);
  const deps = createDeps({
    db: database.prisma,
    sql: database.sql,
    listen: database.listen,
    config,
    log: pino({ level: "silent" }),
  });
  // Artifacts go to a folder under the test's own KUBESERVE_HOME, as the embedded default does.
  await deps.storage.ensureReady();
  // Status changes → events, as in a serving API (reconcile is started by the tests that need it).
  const stopRuntime = await startRuntime(deps, { isReconciling: false });
  // A fresh context per call, as over HTTP, so a revoked token is seen on the very next call.
  const callerFor =
    (deps: TDeps) =>
    (credential?: string, request: Partial<TRequestInfo> = {}) =>
      createCaller(
        () =>
          createContextInner(deps, {
            credential: credential ? `Bearer ${credential}` : undefined,
            ...request,
          }),
        { onError: ({ error, path }) => recordErrorText(`createCaller ${path}`, error.message) },
      );
  const caller = callerFor(deps);
  const callerWith = (overrides: Record<string, string>) =>
    callerFor(
      createDeps({
        db: database.prisma,
        sql: database.sql,
        config: testConfig({ ...configOverrides, ...overrides }),
        log: pino({ level: "silent" }),
      }),
    );
  const signUp = async (label = "user"): Promise<TSignedUp> => {
    const email = `${label}-${process.pid}-${++counter}@example.com`;
    const password = "correct horse battery";
    const session = await caller().auth.register({ email, password });
    return {
      userId: session.user.id,
      email,
      password,
      token: session.accessToken,
      api: caller(session.accessToken),
    };
  };
  const destroy = async () => {
    await stopRuntime();
    await deps.gateway.keys.close();
    await deps.gateway.upstreams.close();
    await database.destroy();
  };
  return { kind, database, deps, config, caller, callerWith, signUp, destroy };
}

/** Awaits a promise expected to fail with a tRPC error and returns its code and message. */
export async function failureOf(
  promise: Promise<unknown>,
): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    const e = error as { code?: string; message: string };
    return { code: e.code ?? "UNKNOWN", message: e.message };
  }
  throw new Error("expected the call to fail, but it succeeded");
}

export type THttpServer = { app: FastifyInstance; url: string; close: () => Promise<void> };

/** The real HTTP app on a free port, recording every error body it sends for the leak guard. */
export async function startHttp(
  h: THarness,
  options: {
    readiness?: TReadinessCheck[];
    linger?: TLingerOptions;
    /** Another configuration over the same database (e.g. TRUST_PROXY variants). */
    config?: Partial<TApiConfig>;
    /** Extra routes, as a later feature would add them, to try the shared error handling. */
    routes?: (app: FastifyInstance) => void;
  } = {},
): Promise<THttpServer> {
  const deps = options.config
    ? createDeps({ ...h.deps, config: { ...h.config, ...options.config } })
    : h.deps;
  const app = await buildApp({
    deps,
    readiness: options.readiness ?? [
      { name: "database", check: h.database.ping },
      { name: "storage", check: () => deps.storage.ping() },
    ],
    linger: options.linger,
  });
  options.routes?.(app);
  app.addHook("onSend", async (req, reply, payload) => {
    if (reply.statusCode >= 400 && (typeof payload === "string" || Buffer.isBuffer(payload))) {
      recordErrorText(`${req.method} ${req.url}`, payload.toString());
    }
    return payload;
  });
  await app.listen({ host: "127.0.0.1", port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return { app, url: `http://127.0.0.1:${port}`, close: () => app.close() };
}
