import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readTestDatabaseUrl } from "../config";
import { migrationsDir, readMigrations } from "../migrate";

// The migration CLI as a job or a person runs it: every failure is one clear line on stderr and exit 1.

const packageDir = path.resolve(import.meta.dirname, "../..");
const adminUrl = readTestDatabaseUrl();
const dbName = `ks_test_migcli_${randomBytes(4).toString("hex")}`;
const dbUrl = Object.assign(new URL(adminUrl), { pathname: `/${dbName}` }).toString();
let scratch: string;

type TRun = { code: number | null; stdout: string; stderr: string };

function runCli(args: string[], env: Record<string, string> = {}): Promise<TRun> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", path.join(packageDir, "src/cli/migrate.ts"), ...args],
    {
      cwd: packageDir,
      env: { PATH: process.env.PATH ?? "", KUBESERVE_HOME: path.join(scratch, "home"), ...env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), "ks-migrate-cli-"));
  await admin(`CREATE DATABASE "${dbName}"`);
});
afterAll(async () => {
  await admin(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
  await rm(scratch, { recursive: true, force: true });
});

describe("migrate CLI", { timeout: 60_000 }, () => {
  it("exits 1 naming a missing migrations folder", async () => {
    const missing = path.join(scratch, "nowhere");
    const run = await runCli(["deploy", "--dir", missing], { DATABASE_URL: dbUrl });
    expect(run).toMatchObject({ code: 1, stdout: "" });
    expect(run.stderr.trim()).toBe(`migrate deploy: migrations folder not found: ${missing}`);
  });

  it("exits 2 with the usage on an unknown option or command", async () => {
    const option = await runCli(["deploy", "--force"]);
    expect(option.code).toBe(2);
    expect(option.stderr).toMatch(/Unknown option '--force'[\s\S]*usage: migrate\.ts deploy/);
    const command = await runCli(["frobnicate"]);
    expect(command.code).toBe(1);
    expect(command.stderr).toMatch(/unknown command "frobnicate"\nusage:/);
  });

  it("exits 1 when the database does not exist", async () => {
    const url = Object.assign(new URL(adminUrl), { pathname: "/ks_no_such_db" }).toString();
    const run = await runCli(["deploy"], { DATABASE_URL: url });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^migrate deploy: .*ks_no_such_db.* does not exist/);
  });

  // Each run is a fresh process compiling the wasm engine: slow on a busy machine.
  it(
    "reports a broken migration as failed until resolved, then applies the fixed one",
    { timeout: 180_000 },
    async () => {
      const dir = path.join(scratch, "migrations");
      await cp(migrationsDir, dir, { recursive: true });
      const broken = "20990101000000_broken";
      await mkdir(path.join(dir, broken));
      await writeFile(
        path.join(dir, broken, "migration.sql"),
        "ALTER TABLE nope ADD COLUMN x int;",
      );
      const env = { DATABASE_URL: dbUrl };

      const first = await runCli(["deploy", "--dir", dir], env);
      expect(first.code).toBe(1);
      expect(first.stderr).toMatch(
        new RegExp(`^migrate deploy: migration ${broken} failed: No such table: nope`),
      );

      const status = await runCli(["status", "--dir", dir], env);
      expect(status.code).toBe(1);
      expect(JSON.parse(status.stdout)).toMatchObject({ failed: [broken], pending: [broken] });

      await writeFile(
        path.join(dir, broken, "migration.sql"),
        "ALTER TABLE models ADD COLUMN x int;",
      );
      const resolved = await runCli(["resolve", "--rolled-back", broken, "--dir", dir], env);
      expect(resolved.code).toBe(0);
      expect(resolved.stdout).toContain(`marked ${broken} as rolled back`);
      const fixed = await runCli(["deploy", "--dir", dir], env);
      expect(fixed.code).toBe(0);
      expect(fixed.stdout).toContain(`applied 1 migration(s) to 127.0.0.1:5432: ${broken}`);
    },
  );

  it(
    "migrates the embedded database once, then reports it up to date",
    { timeout: 180_000 },
    async () => {
      const names = (await readMigrations()).map((m) => m.name);
      const first = await runCli(["deploy"]);
      expect(first.code).toBe(0);
      expect(first.stdout).toContain(`applied ${names.length} migration(s) to embedded PGlite`);
      const second = await runCli(["deploy"]);
      expect(second).toMatchObject({ code: 0, stderr: "" });
      expect(second.stdout).toContain("database embedded PGlite is up to date");
    },
  );
});
