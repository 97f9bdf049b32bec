import { randomBytes } from "node:crypto";
import { cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { readTestDatabaseUrl } from "./config";
import {
  applyMigrations,
  getMigrationStatus,
  markMigrationRolledBack,
  MigrationError,
  migrationsDir,
  readMigrations,
  type TMigrationTarget,
  withEngine,
} from "./migrate";

// Every way a migration can fail must reach the caller as a MigrationError with a message that says what
// went wrong, on PostgreSQL and on PGlite alike: never "nothing pending", never a migration marked applied.

const adminUrl = readTestDatabaseUrl();
let scratch: string;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), "ks-migrate-fail-"));
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(() => rm(scratch, { recursive: true, force: true }));

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

type TScratchDb = { target: TMigrationTarget; query: (sql: string) => Promise<unknown[]> };

async function openScratch(kind: "postgres" | "pglite"): Promise<TScratchDb> {
  if (kind === "pglite") {
    const pglite = await PGlite.create("memory://");
    cleanups.push(() => pglite.close());
    return {
      target: { kind, pglite },
      query: async (sql) => (await pglite.query(sql)).rows,
    };
  }
  const name = `ks_test_migfail_${randomBytes(4).toString("hex")}`;
  await adminQuery(`CREATE DATABASE "${name}"`);
  cleanups.push(() => adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
  const url = Object.assign(new URL(adminUrl), { pathname: `/${name}` }).toString();
  return {
    target: { kind, url },
    query: async (sql) => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        return (await client.query(sql)).rows as unknown[];
      } finally {
        await client.end();
      }
    },
  };
}

/** The committed migrations plus extra ones, in a folder of their own. */
async function migrationsWith(extra: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(scratch, "migrations-"));
  await cp(migrationsDir, dir, { recursive: true });
  for (const [name, sql] of Object.entries(extra)) {
    await mkdir(path.join(dir, name));
    await writeFile(path.join(dir, name, "migration.sql"), sql);
  }
  return dir;
}

// Folder checks fail before any connection; a database that does not exist makes a regression fail loudly.
const unusedTarget: TMigrationTarget = {
  kind: "postgres",
  url: Object.assign(new URL(adminUrl), { pathname: "/ks_never_created" }).toString(),
};

describe("a missing or malformed migrations folder", () => {
  it("is an error naming the folder, never 'nothing pending'", async () => {
    const target = unusedTarget;
    const missing = path.join(scratch, "no-such-folder");
    const message = `migrations folder not found: ${missing}`;
    await expect(readMigrations(missing)).rejects.toThrow(message);
    await expect(applyMigrations(target, missing)).rejects.toThrow(message);
    await expect(getMigrationStatus(target, missing)).rejects.toThrow(message);
  });

  it("refuses an empty folder and a migration without its SQL file", async () => {
    const target = unusedTarget;
    const empty = await mkdtemp(path.join(scratch, "empty-"));
    await expect(applyMigrations(target, empty)).rejects.toThrow(`no migrations found in ${empty}`);
    await expect(getMigrationStatus(target, empty)).rejects.toThrow("no migrations found");

    const dir = await migrationsWith({});
    await mkdir(path.join(dir, "20990101000000_no_sql"));
    const error = await applyMigrations(target, dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as Error).message).toBe(
      `migration 20990101000000_no_sql has no migration.sql (${path.join(dir, "20990101000000_no_sql", "migration.sql")})`,
    );
  });
});

// PGlite and the wasm engine each take seconds to start on a busy machine.
describe.each(["postgres", "pglite"] as const)("on %s", { timeout: 120_000 }, (kind) => {
  it("a broken migration fails by name with the database's error, applies nothing of itself, and stays failed", async () => {
    const db = await openScratch(kind);
    const dir = await migrationsWith({
      "20990101000000_broken": "CREATE TABLE half_done (id int);\nSELECT FROM WHERE;\n",
    });
    const error = await applyMigrations(db.target, dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    const message = (error as Error).message;
    expect(message).toMatch(/^migration 20990101000000_broken failed: .*syntax error/);
    expect(message).toContain("--rolled-back 20990101000000_broken");
    expect(message).not.toMatch(/\n\s+\d+: /); // no Rust span trace
    // One transaction: the statement before the broken one is gone with it.
    expect(await db.query("SELECT to_regclass('half_done') AS t")).toEqual([{ t: null }]);

    const status = await getMigrationStatus(db.target, dir);
    expect(status.failed).toEqual(["20990101000000_broken"]);
    expect(status.pending).toEqual(["20990101000000_broken"]);
    // A failed migration blocks every later deploy until someone resolves it.
    await expect(applyMigrations(db.target, dir)).rejects.toThrow(
      /The `20990101000000_broken` migration .* failed\n.*migrate:resolve --rolled-back 20990101000000_broken/,
    );

    // The documented way out: fix the SQL, mark it rolled back, deploy again.
    await writeFile(
      path.join(dir, "20990101000000_broken", "migration.sql"),
      "CREATE TABLE half_done (id int);\n",
    );
    await markMigrationRolledBack(db.target, "20990101000000_broken", dir);
    expect(await applyMigrations(db.target, dir)).toEqual(["20990101000000_broken"]);
    expect(await db.query("SELECT to_regclass('half_done')::text AS t")).toEqual([
      { t: "half_done" },
    ]);
    await expect(markMigrationRolledBack(db.target, "20990101000000_broken", dir)).rejects.toThrow(
      "migration 20990101000000_broken is not a failed migration of this database (none failed)",
    );
  });

  it("runs a migration whose function body and strings hold semicolons as one script", async () => {
    const db = await openScratch(kind);
    const dir = await migrationsWith({
      "20990101000000_function": [
        "CREATE FUNCTION ks_semicolons() RETURNS text LANGUAGE plpgsql AS $$",
        "BEGIN",
        "  PERFORM 1;",
        "  RETURN 'a;b';",
        "END;",
        "$$;",
        "COMMENT ON FUNCTION ks_semicolons() IS 'x; y';",
      ].join("\n"),
    });
    const applied = await applyMigrations(db.target, dir);
    expect(applied.at(-1)).toBe("20990101000000_function");
    expect(await db.query("SELECT ks_semicolons() AS v")).toEqual([{ v: "a;b" }]);
  });

  it("an unreachable or missing database is a MigrationError saying so", async () => {
    const target: TMigrationTarget =
      kind === "postgres"
        ? {
            kind,
            url: Object.assign(new URL(adminUrl), { pathname: "/ks_no_such_database" }).toString(),
          }
        : { kind, pglite: await PGlite.create("memory://") };
    if (target.kind === "pglite") await target.pglite.close();
    const error = await getMigrationStatus(target).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as Error).message).toMatch(
      kind === "postgres"
        ? /cannot read the migration history: .*ks_no_such_database.* does not exist/
        : /cannot read the migration history: .*closed/i,
    );
    await expect(applyMigrations(target)).rejects.toBeInstanceOf(MigrationError);
  });
});

describe("a panic inside the wasm schema engine", { timeout: 120_000 }, () => {
  it("surfaces with the engine's panic message, and the next call loads a working engine", async () => {
    const { target } = await openScratch("pglite");
    const error = await withEngine(target, (engine) => engine.debugPanic()).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as Error).message).toMatch(
      /^the Prisma schema engine crashed: panicked at .*debugPanic artificial panic/s,
    );

    const fresh = await openScratch("pglite");
    const applied = await applyMigrations(fresh.target);
    expect(applied).toEqual((await readMigrations()).map((m) => m.name));
  });
});
