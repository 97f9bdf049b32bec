import { randomBytes } from "node:crypto";
import pg from "pg";
import { openDatabase, type TDatabase, type TDatabaseKind } from "./client";
import { readTestDatabaseUrl } from "./config";

export { readTestDatabaseUrl };

export type TTestDatabase = TDatabase & {
  /** Connection string of the fresh PostgreSQL database (undefined for PGlite). */
  url: string | undefined;
  /** Closes the client and, for PostgreSQL, drops the database. */
  destroy: () => Promise<void>;
};

async function runAdmin(adminUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A brand-new PostgreSQL database with every committed migration applied, for one test file. */
export async function createTestPostgres(): Promise<TTestDatabase> {
  const adminUrl = readTestDatabaseUrl();
  const name = `ks_test_${process.pid}_${randomBytes(4).toString("hex")}`;
  await runAdmin(adminUrl, `CREATE DATABASE "${name}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const database = await openDatabase({
    url: url.toString(),
    pgliteDir: "memory://",
    migrations: "apply",
    poolSize: 5,
  });
  return {
    ...database,
    url: url.toString(),
    destroy: async () => {
      await database.close();
      await runAdmin(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}

/** An in-memory PGlite with every committed migration applied. */
export async function createTestPglite(): Promise<TTestDatabase> {
  const database = await openDatabase({ pgliteDir: "memory://", migrations: "apply" });
  return { ...database, url: undefined, destroy: database.close };
}

export function createTestDatabase(kind: TDatabaseKind): Promise<TTestDatabase> {
  return kind === "postgres" ? createTestPostgres() : createTestPglite();
}

/** Both embedded and production databases, for suites that must pass on each. */
export const testDatabaseKinds: TDatabaseKind[] = ["postgres", "pglite"];
