import { readdir, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import type { PGlite } from "@electric-sql/pglite";
import { PrismaPg } from "@prisma/adapter-pg";
import {
  bindMigrationAwareSqlAdapterFactory,
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

const emptyFilters = { externalTables: [], externalEnums: [] };

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

async function loadWasmBindings(): Promise<TWasmBindings> {
  const require = createRequire(import.meta.url);
  // The package exports only its JS; the wasm file sits beside the resolved entry.
  const entry = require.resolve("@prisma/schema-engine-wasm");
  const wasmPath = path.join(path.dirname(entry), "schema_engine_bg.wasm");
  const bindings =
    (await import("@prisma/schema-engine-wasm/schema_engine_bg")) as unknown as TWasmBindings;
  const panics: string[] = [];
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

/** The engine never closes the connections it opens (they hold its advisory lock): we track and close them. */
function createTrackedFactory(target: TMigrationTarget) {
  const inner: SqlMigrationAwareDriverAdapterFactory =
    target.kind === "postgres"
      ? new PrismaPg({ connectionString: target.url, max: 2 })
      : new PrismaPGlite(target.pglite);
  const opened: TDisposable[] = [];
  const track = async <T extends TDisposable>(adapter: Promise<T>): Promise<T> => {
    const value = await adapter;
    opened.push(value);
    return value;
  };
  const factory: SqlMigrationAwareDriverAdapterFactory = {
    provider: inner.provider,
    adapterName: inner.adapterName,
    connect: () => track(inner.connect()),
    connectToShadowDb: () => track(inner.connectToShadowDb()),
  };
  const disposeAll = async () => {
    await Promise.all(opened.map((adapter) => adapter.dispose()));
  };
  return { factory, disposeAll };
}

async function withEngine<T>(
  target: TMigrationTarget,
  run: (engine: SchemaEngine, schema: string) => Promise<T>,
): Promise<T> {
  enginePromise ??= loadWasmBindings();
  const { SchemaEngine } = await enginePromise;
  const schema = await readFile(schemaPath, "utf8");
  const { factory, disposeAll } = createTrackedFactory(target);
  const engine = await SchemaEngine.new(
    { datamodels: [[schemaPath, schema]] },
    () => undefined,
    bindMigrationAwareSqlAdapterFactory(factory),
  );
  try {
    return await run(engine, schema);
  } finally {
    engine.free();
    await disposeAll();
  }
}

export async function readMigrations(dir = migrationsDir): Promise<TMigration[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const names = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  return Promise.all(
    names.map(async (name) => ({
      name,
      sql: await readFile(path.join(dir, name, "migration.sql"), "utf8"),
    })),
  );
}

/** Applies pending migrations like `prisma migrate deploy`; returns the names it applied. */
export async function applyMigrations(
  target: TMigrationTarget,
  dir = migrationsDir,
): Promise<string[]> {
  const migrations = await readMigrations(dir);
  const lockPath = path.join(dir, "migration_lock.toml");
  const lockContent = await readFile(lockPath, "utf8").catch(() => null);
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

async function queryAppliedNames(db: TQueryable): Promise<string[] | undefined> {
  const table = await db.query("SELECT to_regclass('_prisma_migrations') IS NOT NULL AS present");
  const present = (table.rows[0] as { present: boolean } | undefined)?.present;
  if (!present) return undefined;
  const result = await db.query(
    "SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL",
  );
  return (result.rows as { migration_name: string }[]).map((row) => row.migration_name);
}

export type TMigrationStatus = {
  /** True when the database has no migration history at all (a brand-new database). */
  isEmpty: boolean;
  applied: string[];
  pending: string[];
};

export async function getMigrationStatus(
  target: TMigrationTarget,
  dir = migrationsDir,
): Promise<TMigrationStatus> {
  const migrations = await readMigrations(dir);
  let appliedNames: string[] | undefined;
  if (target.kind === "pglite") {
    appliedNames = await queryAppliedNames(target.pglite);
  } else {
    const client = new pg.Client({ connectionString: target.url });
    await client.connect();
    try {
      appliedNames = await queryAppliedNames(client);
    } finally {
      await client.end();
    }
  }
  const applied = new Set(appliedNames ?? []);
  return {
    isEmpty: appliedNames === undefined,
    applied: [...applied].sort(),
    pending: migrations.map((migration) => migration.name).filter((name) => !applied.has(name)),
  };
}
