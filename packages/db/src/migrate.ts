import { readdir, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { PGlite } from "@electric-sql/pglite";
import { PrismaPg } from "@prisma/adapter-pg";
import {
  bindMigrationAwareSqlAdapterFactory,
  DriverAdapterError,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
} from "@prisma/driver-adapter-utils";
import type { SchemaEngine } from "@prisma/schema-engine-wasm";
import pg from "pg";
import { PrismaPGlite } from "pglite-prisma-adapter";

// Prisma's migrate CLI needs a native engine this machine cannot download; its wasm build of the
// same engine, bound to our driver adapters, applies the same migration folders with the same bookkeeping.

// Resolved through the package name, so the schema and migrations are found from bundled apps too.
const packageDir = path.dirname(
  createRequire(import.meta.url).resolve("@kubeserve/db/package.json"),
);
export const schemaPath = path.join(packageDir, "prisma", "schema.prisma");
export const migrationsDir = path.join(packageDir, "prisma", "migrations");

export type TMigrationTarget =
  { kind: "postgres"; url: string } | { kind: "pglite"; pglite: PGlite };

export type TMigration = { name: string; sql: string };

/** Any migration failure: a missing or malformed migrations folder, a failing script, an engine crash. */
export class MigrationError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "MigrationError";
  }
}

/** The engine rejects with plain objects as well as Errors; either way the caller gets a message. */
function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === "object" && error !== null && "message" in error) {
    return String((error as { message: unknown }).message);
  }
  return typeof error === "string" ? error : JSON.stringify(error);
}

const emptyFilters = { externalTables: [], externalEnums: [] };

/** Engine errors end in a Rust span trace ("   0: …"); the lines above it are the message, and the trace
 * names the migration that failed. */
function describeEngineError(error: unknown): string {
  const text = describeError(error);
  const traceStart = text.search(/\n\s+\d+: /);
  const message = (traceStart === -1 ? text : text.slice(0, traceStart))
    .replace(/^external connector error\n/, "")
    .trim();
  const resolve = (name: string) =>
    `\`pnpm --filter @kubeserve/db migrate:resolve --rolled-back ${name}\``;
  const failing = /migration_name="([^"]+)"/.exec(text)?.[1];
  if (failing) {
    return (
      `migration ${failing} failed: ${message}\n` +
      `It ran as one transaction, so none of it is applied. Fix its migration.sql, then run ${resolve(failing)} and migrate again.`
    );
  }
  // A migration that failed in an earlier run blocks every later one until it is resolved.
  const earlier = /The `([^`]+)` migration started at .* failed/.exec(message)?.[1];
  if (earlier) return `${message}\nOnce its migration.sql is fixed, run ${resolve(earlier)}.`;
  return message;
}

type TWasmExports = Record<string, unknown>;

type TWasmBindings = {
  SchemaEngine: typeof SchemaEngine;
  __wbg_set_wasm: (exports: TWasmExports) => void;
};

// Node has WebAssembly, but TypeScript only types it with the DOM lib, which server code must not use.
const { WebAssembly: wasm } = globalThis as unknown as {
  WebAssembly: {
    Module: new (bytes: Uint8Array) => object;
    Instance: new (module: object, imports: Record<string, unknown>) => { exports: TWasmExports };
  };
};

let enginePromise: Promise<TWasmBindings> | undefined;
// A Rust panic reaches JavaScript as a bare "unreachable" trap; its message arrives here first.
const panics: string[] = [];

let loadCount = 0;

async function loadWasmBindings(): Promise<TWasmBindings> {
  const require = createRequire(import.meta.url);
  // The package exports only its JS; the wasm file sits beside the resolved entry.
  const entry = require.resolve("@prisma/schema-engine-wasm");
  const wasmPath = path.join(path.dirname(entry), "schema_engine_bg.wasm");
  // The glue module caches views of its instance's memory, so a reload after a panic needs a fresh copy.
  const glueUrl = `${pathToFileURL(path.join(path.dirname(entry), "schema_engine_bg.js")).href}?load=${loadCount}`;
  const bindings = (loadCount++ === 0
    ? await import("@prisma/schema-engine-wasm/schema_engine_bg")
    : await import(glueUrl)) as unknown as TWasmBindings;
  (globalThis as Record<string, unknown>).PRISMA_WASM_PANIC_REGISTRY = {
    set_message: (message: string) => panics.push(message),
  };
  const module = new wasm.Module(await readFile(wasmPath));
  const instance = new wasm.Instance(module, { "./schema_engine_bg.js": bindings as never });
  bindings.__wbg_set_wasm(instance.exports);
  (instance.exports.__wbindgen_start as (() => void) | undefined)?.();
  return bindings;
}

type TDisposable = { dispose: () => Promise<void> };

type TDriverError = ConstructorParameters<typeof DriverAdapterError>[0];

function toDriverError(error: unknown): TDriverError {
  const e = error as Partial<Record<"code" | "severity" | "detail" | "column" | "hint", unknown>>;
  const text = (value: unknown) => (typeof value === "string" ? value : undefined);
  return {
    kind: "postgres",
    code: text(e.code) ?? "XX000",
    severity: text(e.severity) ?? "ERROR",
    message: describeError(error),
    detail: text(e.detail),
    column: text(e.column),
    hint: text(e.hint),
  };
}

/**
 * The engine never closes the connections it opens (they hold its advisory lock): we track and close them.
 * It also runs each migration through the adapter's `executeScript`, which the PGlite adapter never awaits
 * (a failing migration is recorded as applied) and adapter-pg splits on every ";" (breaking function
 * bodies): both are replaced by one simple-protocol script, as the native engine sends it, in one
 * implicit transaction.
 */
function createTrackedFactory(target: TMigrationTarget) {
  const pool =
    target.kind === "postgres"
      ? new pg.Pool({ connectionString: target.url, max: 2, connectionTimeoutMillis: 10_000 })
      : undefined;
  const inner: SqlMigrationAwareDriverAdapterFactory = pool
    ? new PrismaPg(pool)
    : new PrismaPGlite((target as { pglite: PGlite }).pglite);
  const runScript = async (script: string): Promise<void> => {
    try {
      if (pool) await pool.query(script);
      else await (target as { pglite: PGlite }).pglite.exec(script);
    } catch (error) {
      throw new DriverAdapterError(toDriverError(error));
    }
  };
  const opened: TDisposable[] = [];
  const track = async <T extends TDisposable>(adapter: Promise<T>): Promise<T> => {
    const value = await adapter;
    opened.push(value);
    return value;
  };
  const factory: SqlMigrationAwareDriverAdapterFactory = {
    provider: inner.provider,
    adapterName: inner.adapterName,
    connect: async () => {
      const adapter: SqlDriverAdapter = await track(inner.connect());
      adapter.executeScript = runScript;
      return adapter;
    },
    connectToShadowDb: () => track(inner.connectToShadowDb()),
  };
  const disposeAll = async () => {
    await Promise.all(opened.map((adapter) => adapter.dispose()));
    await pool?.end();
  };
  return { factory, disposeAll };
}

/** Runs `run` on a fresh engine; every failure, a panic included, rejects with a MigrationError. */
export async function withEngine<T>(
  target: TMigrationTarget,
  run: (engine: SchemaEngine, schema: string) => Promise<T> | T,
): Promise<T> {
  enginePromise ??= loadWasmBindings();
  const { SchemaEngine } = await enginePromise;
  const schema = await readFile(schemaPath, "utf8");
  const { factory, disposeAll } = createTrackedFactory(target);
  panics.length = 0;
  let engine: SchemaEngine | undefined;
  try {
    engine = await SchemaEngine.new(
      { datamodels: [[schemaPath, schema]] },
      () => undefined,
      bindMigrationAwareSqlAdapterFactory(factory),
    );
    return await run(engine, schema);
  } catch (error) {
    if (panics.length > 0) {
      // A panicked wasm instance is left in an undefined state: the next call loads a new one.
      enginePromise = undefined;
      engine = undefined;
      throw new MigrationError(`the Prisma schema engine crashed: ${panics.join("; ")}`, {
        cause: error,
      });
    }
    if (error instanceof MigrationError) throw error;
    throw new MigrationError(describeEngineError(error), { cause: error });
  } finally {
    engine?.free();
    await disposeAll();
  }
}

function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === "ENOENT";
}

/** The committed migrations in name order; a missing folder or a folder without its SQL is an error. */
export async function readMigrations(dir = migrationsDir): Promise<TMigration[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch((error: unknown) => {
    throw new MigrationError(
      isNotFound(error)
        ? `migrations folder not found: ${dir}`
        : `cannot read the migrations folder ${dir}: ${describeError(error)}`,
      { cause: error },
    );
  });
  const names = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  return Promise.all(
    names.map(async (name) => {
      const file = path.join(dir, name, "migration.sql");
      const sql = await readFile(file, "utf8").catch((error: unknown) => {
        throw new MigrationError(
          isNotFound(error)
            ? `migration ${name} has no migration.sql (${file})`
            : `cannot read ${file}: ${describeError(error)}`,
          { cause: error },
        );
      });
      return { name, sql };
    }),
  );
}

/** Like readMigrations, for commands that need at least one: applying nothing would leave no schema. */
async function readRequiredMigrations(dir: string): Promise<TMigration[]> {
  const migrations = await readMigrations(dir);
  if (migrations.length === 0) throw new MigrationError(`no migrations found in ${dir}`);
  return migrations;
}

/** Applies pending migrations like `prisma migrate deploy`; returns the names it applied. */
export async function applyMigrations(
  target: TMigrationTarget,
  dir = migrationsDir,
): Promise<string[]> {
  const migrations = await readRequiredMigrations(dir);
  const lockPath = path.join(dir, "migration_lock.toml");
  // The lock file is optional (the engine checks its provider when present); unreadable is not.
  const lockContent = await readFile(lockPath, "utf8").catch((error: unknown) => {
    if (isNotFound(error)) return null;
    throw new MigrationError(`cannot read ${lockPath}: ${describeError(error)}`, { cause: error });
  });
  return withEngine(target, async (engine) => {
    const output = await engine.applyMigrations({
      migrationsList: {
        baseDir: dir,
        lockfile: { path: "migration_lock.toml", content: lockContent },
        shadowDbInitScript: "",
        migrationDirectories: migrations.map((migration) => ({
          path: migration.name,
          migrationFile: { path: "migration.sql", content: { tag: "ok", value: migration.sql } },
        })),
      },
      filters: emptyFilters,
    });
    return output.appliedMigrationNames;
  });
}

/** Marks a failed migration as rolled back, like `prisma migrate resolve --rolled-back`, so deploy retries it. */
export async function markMigrationRolledBack(
  target: TMigrationTarget,
  name: string,
  dir = migrationsDir,
): Promise<void> {
  const status = await getMigrationStatus(target, dir);
  if (!status.failed.includes(name)) {
    throw new MigrationError(
      `migration ${name} is not a failed migration of this database` +
        (status.failed.length ? ` (failed: ${status.failed.join(", ")})` : " (none failed)"),
    );
  }
  await withEngine(target, (engine) => engine.markMigrationRolledBack({ migrationName: name }));
}

/** SQL that takes a database from `from` (empty, or a live database) to the current schema. */
export async function diffSchema(
  target: TMigrationTarget,
  from: "empty" | "database",
): Promise<string> {
  return withEngine(target, async (engine, schema) => {
    const files = [{ path: schemaPath, content: schema }];
    const result = await engine.diff({
      from:
        from === "empty"
          ? { tag: "empty" }
          : { tag: "schemaDatasource", files, configDir: packageDir },
      to: { tag: "schemaDatamodel", files },
      script: true,
      exitCode: null,
      filters: emptyFilters,
    });
    return result.stdout ?? "";
  });
}

type TQueryable = { query: (sql: string) => Promise<{ rows: unknown[] }> };

type THistory = { applied: string[]; failed: string[] };

async function queryHistory(db: TQueryable): Promise<THistory | undefined> {
  const table = await db.query("SELECT to_regclass('_prisma_migrations') IS NOT NULL AS present");
  const present = (table.rows[0] as { present: boolean } | undefined)?.present;
  if (!present) return undefined;
  const result = await db.query(
    "SELECT migration_name, finished_at IS NOT NULL AS finished FROM _prisma_migrations WHERE rolled_back_at IS NULL",
  );
  const rows = result.rows as { migration_name: string; finished: boolean }[];
  const names = (finished: boolean) =>
    rows.filter((row) => row.finished === finished).map((row) => row.migration_name);
  return { applied: names(true), failed: names(false) };
}

export type TMigrationStatus = {
  /** True when the database has no migration history at all (a brand-new database). */
  isEmpty: boolean;
  applied: string[];
  pending: string[];
  /** Started and not finished: the database needs a person (fix, then resolve) before anything else. */
  failed: string[];
};

export async function getMigrationStatus(
  target: TMigrationTarget,
  dir = migrationsDir,
): Promise<TMigrationStatus> {
  const migrations = await readRequiredMigrations(dir);
  let history: THistory | undefined;
  try {
    if (target.kind === "pglite") {
      history = await queryHistory(target.pglite);
    } else {
      const client = new pg.Client({
        connectionString: target.url,
        connectionTimeoutMillis: 10_000,
      });
      await client.connect();
      try {
        history = await queryHistory(client);
      } finally {
        await client.end();
      }
    }
  } catch (error) {
    throw new MigrationError(`cannot read the migration history: ${describeError(error)}`, {
      cause: error,
    });
  }
  const applied = new Set(history?.applied ?? []);
  return {
    isEmpty: history === undefined,
    applied: [...applied].sort(),
    pending: migrations.map((migration) => migration.name).filter((name) => !applied.has(name)),
    failed: [...(history?.failed ?? [])].sort(),
  };
}
