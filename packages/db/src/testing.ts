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

/**
 * pg's pool.end() resolves once each client's end() is called, not once its socket has closed; a FORCE drop
 * in that window terminates a closing session, whose FATAL message pg then throws as an uncaught error.
 */
async function dropWhenIdle(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline) {
      const { rows } = await client.query<{ count: string }>(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = $1",
        [name],
      );
      if (rows[0]?.count === "0") break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
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
      await dropWhenIdle(adminUrl, name);
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
