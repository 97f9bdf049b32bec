// The root package's scripts as the README advertises them: each one that delegates to a workspace package
// names a script that package has, and `pnpm db:seed` / `pnpm db:migrate` work on PGlite and PostgreSQL.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const readJson = (file) => JSON.parse(readFileSync(file, "utf8"));
const rootPackage = readJson(path.join(root, "package.json"));
// The root has no database driver of its own: borrow the db package's.
const pg = createRequire(path.join(root, "packages/db/package.json"))("pg");
const adminUrl = process.env.TEST_DATABASE_URL || "postgresql://postgres@127.0.0.1:5432/test";
const home = mkdtempSync(path.join(tmpdir(), "ks-db-scripts-"));
const dropAfter = [];

function workspacePackages() {
  const byName = new Map();
  for (const group of ["apps", "packages", "tooling"]) {
    for (const dir of readdirSync(path.join(root, group))) {
      try {
        const pkg = readJson(path.join(root, group, dir, "package.json"));
        byName.set(pkg.name, pkg);
      } catch {
        // Not a package folder.
      }
    }
  }
  return byName;
}

// Runs pnpm as the test itself was run (pnpm test:start), or the pinned one through npx.
const pnpm = process.env.npm_execpath?.includes("pnpm")
  ? [process.execPath, process.env.npm_execpath]
  : ["npx", "-y", rootPackage.packageManager];

function runPnpm(args, env = {}) {
  const childEnv = { ...process.env, KUBESERVE_HOME: home, ...env };
  if (!env.DATABASE_URL) delete childEnv.DATABASE_URL;
  const child = spawn(pnpm[0], [...pnpm.slice(1), ...args], {
    cwd: root,
    env: childEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, output })));
}

async function admin(sql) {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

after(async () => {
  for (const name of dropAfter) await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  rmSync(home, { recursive: true, force: true });
});

describe("root scripts", { concurrency: 1 }, () => {
  it("every `pnpm --filter <package> <script>` names a script that package has", () => {
    const packages = workspacePackages();
    const delegations = Object.entries(rootPackage.scripts).flatMap(([name, command]) =>
      [...command.matchAll(/pnpm --filter (\S+) (?:run )?([\w:-]+)/g)].map((m) => ({
        name,
        target: m[1],
        script: m[2],
      })),
    );
    assert.ok(
      delegations.some((d) => d.name === "db:seed"),
      "db:seed delegates to a package",
    );
    for (const { name, target, script } of delegations) {
      const pkg = packages.get(target);
      assert.ok(pkg, `${name}: no workspace package ${target}`);
      assert.ok(pkg.scripts?.[script], `${name}: ${target} has no script "${script}"`);
    }
  });

  it("pnpm db:seed creates the demo user on the embedded database once", async () => {
    const first = await runPnpm(["db:seed"]);
    assert.equal(first.code, 0, first.output);
    assert.match(first.output, /created demo user demo@kubeserve\.local/);
    const second = await runPnpm(["db:seed"], { SEED_DEMO_EMAIL: "demo@kubeserve.local" });
    assert.equal(second.code, 0, second.output);
    assert.match(second.output, /demo user demo@kubeserve\.local already exists/);
  });

  it("on PostgreSQL, db:seed refuses an unmigrated database; db:migrate then seed works", async () => {
    const name = `ks_test_seed_${randomBytes(4).toString("hex")}`;
    await admin(`CREATE DATABASE "${name}"`);
    dropAfter.push(name);
    const url = Object.assign(new URL(adminUrl), { pathname: `/${name}` }).toString();
    const env = { DATABASE_URL: url, SEED_DEMO_EMAIL: "seed@example.com" };

    const early = await runPnpm(["db:seed"], env);
    assert.notEqual(early.code, 0, early.output);
    assert.match(early.output, /pending migration\(s\).*Run `pnpm db:migrate`/s);

    const migrate = await runPnpm(["db:migrate"], env);
    assert.equal(migrate.code, 0, migrate.output);
    assert.match(migrate.output, /applied \d+ migration\(s\)/);
    const seed = await runPnpm(["db:seed"], env);
    assert.equal(seed.code, 0, seed.output);
    assert.match(seed.output, /created demo user seed@example\.com/);
  });
});
