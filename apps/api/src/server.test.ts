import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createTestPostgres, readTestDatabaseUrl } from "@kubeserve/db/testing";
import { freePort, waitFor } from "@kubeserve/testing";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { createApiClient } from "./client";

// These tests run the real entry point as a child process, exactly as `pnpm start` does.

const serverEntry = path.resolve(import.meta.dirname, "server.ts");

type TRun = { child: ChildProcess; output: () => string; exited: Promise<number | null> };

const children: ChildProcess[] = [];

function runServer(env: Record<string, string>): TRun {
  const child = spawn(process.execPath, ["--import", "tsx", serverEntry], {
    env: { PATH: process.env.PATH ?? "", LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, output: () => output, exited };
}

function waitReady(url: string, run: TRun, timeoutMs = 60_000): Promise<true> {
  return waitFor(async () => ((await fetch(`${url}/readyz`)).status === 200 ? true : undefined), {
    what: `API at ${url}`,
    timeoutMs,
    intervalMs: 200,
    abortIf: () =>
      run.child.exitCode !== null ? `server exited early:\n${run.output()}` : undefined,
  });
}

describe("API process", () => {
  const homes: string[] = [];
  const makeHome = () => {
    const dir = mkdtempSync(path.join(tmpdir(), "ks-server-test-"));
    homes.push(dir);
    return dir;
  };
  afterAll(() => {
    // A failed assertion must not leave a server running.
    for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
    homes.forEach((dir) => rmSync(dir, { recursive: true, force: true }));
  });

  it.each([
    [{ API_PORT: "eighty" }, /API_PORT: must be a port number/],
    [{ DATABASE_URL: "mysql://localhost/x" }, /DATABASE_URL: must be a postgresql:\/\/ URL/],
    [{ NODE_ENV: "production" }, /AUTH_SECRET: required when NODE_ENV=production/],
    [{ AUTH_SECRET: "short" }, /AUTH_SECRET: must be at least 32 characters/],
    [{ WEB_ORIGIN: "localhost:3000" }, /WEB_ORIGIN: must be a comma-separated list of origins/],
  ])("stops at start on bad configuration %j, naming the variable", async (env, message) => {
    const run = runServer({ KUBESERVE_HOME: makeHome(), ...env });
    expect(await run.exited).toBe(78);
    expect(run.output()).toMatch(message);
  });

  it("gives up on an unreachable PostgreSQL after the configured wait, naming it", async () => {
    const port = await freePort();
    const run = runServer({
      KUBESERVE_HOME: makeHome(),
      DATABASE_URL: `postgresql://postgres@127.0.0.1:${port}/nothing`,
      DATABASE_WAIT_SECONDS: "1",
    });
    expect(await run.exited).toBe(1);
    expect(run.output()).toMatch(
      new RegExp(`PostgreSQL at 127.0.0.1:${port} is not reachable after 1 s`),
    );
  });

  it("refuses to serve a PostgreSQL database with pending migrations", async () => {
    const adminUrl = readTestDatabaseUrl();
    const name = `ks_test_pending_${process.pid}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${name}"`);
    await admin.query(`CREATE DATABASE "${name}"`);
    try {
      const url = Object.assign(new URL(adminUrl), { pathname: `/${name}` }).toString();
      const run = runServer({ KUBESERVE_HOME: makeHome(), DATABASE_URL: url });
      expect(await run.exited).toBe(1);
      expect(run.output()).toMatch(
        /pending migration\(s\) \(\d+_init, .*\)\. Run `pnpm db:migrate`/,
      );
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    }
  });

  it("serves a migrated PostgreSQL database", async () => {
    const database = await createTestPostgres();
    try {
      const port = await freePort();
      const run = runServer({
        KUBESERVE_HOME: makeHome(),
        DATABASE_URL: database.url as string,
        API_PORT: String(port),
      });
      await waitReady(`http://127.0.0.1:${port}`, run);
      run.child.kill("SIGTERM");
      expect(await run.exited).toBe(0);
    } finally {
      await database.destroy();
    }
  });

  it("embedded: migrates at first start, drains on SIGTERM, and keeps data and sessions across restarts", async () => {
    const home = makeHome();
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const env = { KUBESERVE_HOME: home, API_PORT: String(port) };

    const first = runServer(env);
    await waitReady(url, first);
    expect(first.output()).toMatch(/applied pending migrations to the embedded database/);
    const session = await createApiClient({ url }).auth.register.mutate({
      email: "restart@example.com",
      password: "a long password",
    });
    await createApiClient({ url, token: session.accessToken }).model.create.mutate({
      name: "survivor",
    });
    first.child.kill("SIGTERM");
    expect(await first.exited).toBe(0);
    expect(first.output()).toMatch(/"msg":"stopped"/);

    const second = runServer(env);
    await waitReady(url, second);
    expect(second.output()).not.toMatch(/applied pending migrations/);
    const api = createApiClient({ url, token: session.accessToken });
    expect((await api.model.list.query({})).items.map((m) => m.name)).toEqual(["survivor"]);
    second.child.kill("SIGTERM");
    expect(await second.exited).toBe(0);
    // Two cold starts of embedded PostgreSQL (first one migrates) on a shared 2-core machine.
  }, 120_000);
});
