import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, PendingMigrationsError } from "./client";
import { readTestDatabaseUrl } from "./config";
import { applyMigrations, diffSchema, getMigrationStatus, readMigrations } from "./migrate";

const adminUrl = readTestDatabaseUrl();
const dbName = `ks_test_migrate_${randomBytes(4).toString("hex")}`;
const dbUrl = Object.assign(new URL(adminUrl), { pathname: `/${dbName}` }).toString();

async function runSql(url: string, sql: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

const admin = (sql: string) => runSql(adminUrl, sql);
const query = (sql: string) => runSql(dbUrl, sql);

describe("migrations on PostgreSQL", () => {
  beforeAll(() => admin(`CREATE DATABASE "${dbName}"`));
  afterAll(() => admin(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`));

  it("reports a brand-new database as empty with every migration pending", async () => {
    const migrations = await readMigrations();
    expect(migrations.length).toBeGreaterThan(0);
    const status = await getMigrationStatus({ kind: "postgres", url: dbUrl });
    expect(status).toEqual({
      isEmpty: true,
      applied: [],
      pending: migrations.map((m) => m.name),
      failed: [],
    });
  });

  it("refuses to open a serving client while migrations are pending", async () => {
    await expect(
      openDatabase({ url: dbUrl, pgliteDir: "memory://", migrations: "check" }),
    ).rejects.toBeInstanceOf(PendingMigrationsError);
  });

  it("applies every migration with Prisma's own bookkeeping, then nothing on a second run", async () => {
    const migrations = await readMigrations();
    const applied = await applyMigrations({ kind: "postgres", url: dbUrl });
    expect(applied).toEqual(migrations.map((m) => m.name));

    const rows = await query(
      "SELECT migration_name, checksum FROM _prisma_migrations ORDER BY migration_name",
    );
    // The Prisma CLI compares these checksums, so users of `prisma migrate` can take over this database.
    expect(rows.rows).toEqual(
      migrations.map((m) => ({
        migration_name: m.name,
        checksum: createHash("sha256").update(m.sql).digest("hex"),
      })),
    );
    expect(await applyMigrations({ kind: "postgres", url: dbUrl })).toEqual([]);

    const tables = await query(
      "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
    );
    expect(tables.rows.map((row: { tablename: string }) => row.tablename)).toEqual([
      "_prisma_migrations",
      "api_keys",
      "artifact_uploads",
      "deployment_events",
      "deployments",
      "login_attempts",
      "model_versions",
      "models",
      "registration_attempts",
      "sessions",
      "user_quotas",
      "users",
    ]);
  });

  it("opens a serving client once migrations are applied", async () => {
    const database = await openDatabase({
      url: dbUrl,
      pgliteDir: "memory://",
      migrations: "check",
    });
    try {
      await database.ping();
      expect(database.kind).toBe("postgres");
      expect(await database.prisma.user.count()).toBe(0);
    } finally {
      await database.close();
    }
  });
});

// A new PGlite and the wasm engine each take seconds to start on a busy machine.
describe("embedded PGlite", { timeout: 120_000 }, () => {
  it("has committed migrations that match schema.prisma exactly", async () => {
    // Fails when someone edits the schema without `pnpm db:migrate:create` (which diffs the same way).
    const { PGlite } = await import("@electric-sql/pglite");
    const pglite = await PGlite.create("memory://");
    try {
      await applyMigrations({ kind: "pglite", pglite });
      const sql = await diffSchema({ kind: "pglite", pglite }, "database");
      expect(sql.replace(/^--.*$/gm, "").trim()).toBe("");
      const fromEmpty = await diffSchema({ kind: "pglite", pglite }, "empty");
      expect(fromEmpty).toContain('CREATE TABLE "models"');
    } finally {
      await pglite.close();
    }
  });

  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "ks-pglite-"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("applies migrations at first open of a data folder and keeps data across restarts", async () => {
    const first = await openDatabase({ pgliteDir: dir, migrations: "apply" });
    expect(first.kind).toBe("pglite");
    expect(first.appliedMigrations.length).toBeGreaterThan(0);
    await first.prisma.user.create({ data: { email: "a@example.com", passwordHash: "x" } });
    await first.close();

    const second = await openDatabase({ pgliteDir: dir, migrations: "apply" });
    try {
      expect(second.appliedMigrations).toEqual([]);
      const users = await second.prisma.user.findMany({ select: { email: true, role: true } });
      expect(users).toEqual([{ email: "a@example.com", role: "user" }]);
    } finally {
      await second.close();
    }
  });
});
