import { createHash } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaClient } from "./generated/prisma/client";
import { applyMigrations, getMigrationStatus, type TMigrationTarget } from "./migrate";

export type TDatabaseKind = "postgres" | "pglite";

export type TDatabaseOptions = {
  /** `postgresql://…` selects PostgreSQL; unset selects embedded PGlite in `pgliteDir`. */
  url?: string | undefined;
  /** PGlite data folder; `memory://` keeps it in memory (tests). */
  pgliteDir: string;
  /** PostgreSQL pool size per process. */
  poolSize?: number;
  /**
   * What to do with pending migrations: `apply` them (embedded default), or `check` and refuse to
   * start (PostgreSQL: a job or `pnpm db:migrate` runs them, never a serving process).
   */
  migrations: "apply" | "check";
};

/** Parameterised SQL on the same connections as Prisma, for the few hot reads where the ORM's cost shows. */
export type TSql = <TRow>(text: string, params?: unknown[]) => Promise<TRow[]>;

/** Subscribes to PostgreSQL NOTIFY on `channel`; resolves with the unsubscribe function once listening. */
export type TListen = (
  channel: string,
  onMessage: (payload: string) => void,
  onError: (error: Error) => void,
) => Promise<() => Promise<void>>;

export type TDatabase = {
  kind: TDatabaseKind;
  prisma: PrismaClient;
  sql: TSql;
  listen: TListen;
  /** Names of migrations applied while opening (embedded mode). */
  appliedMigrations: string[];
  ping: () => Promise<void>;
  close: () => Promise<void>;
};

export class PendingMigrationsError extends Error {
  constructor(readonly pending: string[]) {
    super(
      `The database has ${pending.length} pending migration(s) (${pending.join(", ")}). ` +
        "Run `pnpm db:migrate` (or the migration job) before starting the API.",
    );
    this.name = "PendingMigrationsError";
  }
}

export function isPostgresUrl(url: string | undefined): url is string {
  return url !== undefined && /^postgres(ql)?:\/\//.test(url);
}

async function settleMigrations(target: TMigrationTarget, mode: TDatabaseOptions["migrations"]) {
  if (mode === "apply") return applyMigrations(target);
  const status = await getMigrationStatus(target);
  if (status.pending.length > 0) throw new PendingMigrationsError(status.pending);
  return [];
}

/**
 * Hot statements are prepared once per connection under a name derived from their text, so PostgreSQL
 * skips parsing and planning on every request. Callers pass values only as parameters, so the set of
 * texts, and of names, stays small.
 */
function createPreparedSql(pool: pg.Pool): TSql {
  const names = new Map<string, string>();
  return async <TRow>(text: string, params?: unknown[]) => {
    let name = names.get(text);
    if (!name) {
      name = `ks_${createHash("sha1").update(text).digest("hex").slice(0, 20)}`;
      names.set(text, name);
    }
    return (await pool.query<TRow & pg.QueryResultRow>({ name, text, values: params })).rows;
  };
}

async function openPostgres(url: string, options: TDatabaseOptions): Promise<TDatabase> {
  const appliedMigrations = await settleMigrations({ kind: "postgres", url }, options.migrations);
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: 5_000,
  });
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  return {
    kind: "postgres",
    prisma,
    sql: createPreparedSql(pool),
    // A connection of its own: a pooled one would be handed to queries and lose its LISTEN.
    listen: async (channel, onMessage, onError) => {
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
      client.on("error", onError);
      client.on("notification", (message) => {
        if (message.channel === channel) onMessage(message.payload ?? "");
      });
      await client.connect();
      await client.query(`LISTEN "${channel.replaceAll('"', "")}"`);
      return async () => {
        client.removeAllListeners("error");
        client.on("error", () => undefined);
        await client.end();
      };
    },
    appliedMigrations,
    ping: async () => {
      await pool.query("SELECT 1");
    },
    close: async () => {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}

async function openPglite(options: TDatabaseOptions): Promise<TDatabase> {
  // Loaded lazily: PGlite is a 10 MB wasm build that a PostgreSQL deployment never needs.
  const [{ PGlite }, { PrismaPGlite }] = await Promise.all([
    import("@electric-sql/pglite"),
    import("pglite-prisma-adapter"),
  ]);
  const isInMemory = options.pgliteDir.startsWith("memory://");
  if (!isInMemory) await mkdir(options.pgliteDir, { recursive: true });
  const pglite = await PGlite.create(options.pgliteDir);
  const appliedMigrations = await settleMigrations({ kind: "pglite", pglite }, options.migrations);
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
  return {
    kind: "pglite",
    prisma,
    sql: async <TRow>(text: string, params?: unknown[]) =>
      (await pglite.query<TRow>(text, params)).rows,
    listen: async (channel, onMessage) => {
      const unsubscribe = await pglite.listen(channel, onMessage);
      return unsubscribe;
    },
    appliedMigrations,
    ping: async () => {
      await pglite.query("SELECT 1");
    },
    close: async () => {
      await prisma.$disconnect();
      await pglite.close();
    },
  };
}

/** The one way to get a database: PostgreSQL when `url` is `postgresql://…`, embedded PGlite otherwise. */
export function openDatabase(options: TDatabaseOptions): Promise<TDatabase> {
  return isPostgresUrl(options.url) ? openPostgres(options.url, options) : openPglite(options);
}
