import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TDatabaseKind } from "@kubeserve/db";
import { createTestDatabase, type TTestDatabase } from "@kubeserve/db/testing";
import { pino } from "pino";
import { readApiConfig, type TApiConfig } from "../config";
import { createContextInner, type TRequestInfo } from "../context";
import { createDeps, type TDeps } from "../deps";
import { createCaller } from "../routers";

export type THarness = {
  kind: TDatabaseKind;
  database: TTestDatabase;
  deps: TDeps;
  config: TApiConfig;
  /** A caller as an anonymous client, or with `Authorization: Bearer <credential>`. */
  caller: (credential?: string, request?: Partial<TRequestInfo>) => ReturnType<typeof createCaller>;
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
    config,
    log: pino({ level: "silent" }),
  });
  // A fresh context per call, as over HTTP, so a revoked token is seen on the very next call.
  const caller = (credential?: string, request: Partial<TRequestInfo> = {}) =>
    createCaller(() =>
      createContextInner(deps, {
        credential: credential ? `Bearer ${credential}` : undefined,
        ...request,
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
  return { kind, database, deps, config, caller, signUp, destroy: database.destroy };
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
