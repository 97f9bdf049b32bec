#!/usr/bin/env node
// `pnpm start`: builds what is needed, prepares the database, starts the API and the dashboard, and
// prints their URLs. With no configuration it runs on embedded defaults (PGlite and files under .kubeserve/).
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const env = { ...process.env, NEXT_TELEMETRY_DISABLED: "1", TURBO_TELEMETRY_DISABLED: "1" };
const apiPort = Number(env.API_PORT ?? 4000);
const webPort = Number(env.WEB_PORT ?? 3000);
const apiUrl = `http://localhost:${apiPort}`;
const webUrl = `http://localhost:${webPort}`;
env.API_PORT = String(apiPort);
env.WEB_ORIGIN ??= `${webUrl},http://127.0.0.1:${webPort}`;
env.API_INTERNAL_URL ??= `http://127.0.0.1:${apiPort}`;
const isEmbedded = !env.DATABASE_URL;

// Runs pnpm the same way this script was started (npx pnpm, corepack or a global pnpm).
const pnpm = env.npm_execpath?.includes("pnpm") ? [process.execPath, env.npm_execpath] : ["pnpm"];

function log(message) {
  console.log(`[kubeserve] ${message}`);
}

function runStep(title, command, args, options = {}) {
  log(title);
  const result = spawnSync(command, args, { cwd: root, env, stdio: "inherit", ...options });
  if (result.status !== 0) {
    console.error(`[kubeserve] failed: ${title}`);
    process.exit(result.status ?? 1);
  }
}

function assertPortFree(port, variable) {
  return new Promise((resolve) => {
    const server = createServer()
      .once("error", () => {
        console.error(`[kubeserve] port ${port} is in use: stop what uses it or set ${variable}`);
        process.exit(1);
      })
      .listen(port, () => server.close(resolve));
  });
}

async function waitFor(url, child, name) {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${name} did not answer ${url} within 90 s`);
}

const children = [];
let isStopping = false;

function stopAll(code) {
  if (isStopping) return;
  isStopping = true;
  for (const child of children) if (child.exitCode === null) child.kill("SIGTERM");
  const force = setTimeout(() => {
    for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
    process.exit(code);
  }, 20_000);
  force.unref();
  Promise.all(
    children.map(
      (child) => new Promise((r) => (child.exitCode === null ? child.once("exit", r) : r())),
    ),
  ).then(() => process.exit(code));
}

function startChild(name, args, cwd) {
  const child = spawn(process.execPath, args, { cwd, env, stdio: "inherit" });
  children.push(child);
  child.once("exit", (code) => {
    if (!isStopping) {
      console.error(
        `[kubeserve] ${name} stopped unexpectedly (exit ${code}); stopping the platform`,
      );
      stopAll(1);
    }
  });
  return child;
}

process.on("SIGINT", () => stopAll(0));
process.on("SIGTERM", () => stopAll(0));

await assertPortFree(apiPort, "API_PORT");
await assertPortFree(webPort, "WEB_PORT");

runStep(
  "building the API, the model server and the dashboard (cached after the first run) …",
  pnpm[0],
  [
    ...pnpm.slice(1),
    "exec",
    "turbo",
    "run",
    "build",
    "--filter=@kubeserve/api",
    "--filter=@kubeserve/web",
    "--filter=@kubeserve/inference",
    "--output-logs=errors-only",
  ],
);

if (!isEmbedded) {
  // A brand-new PostgreSQL database is initialised here; later migrations are an explicit `pnpm db:migrate`.
  runStep("preparing PostgreSQL …", pnpm[0], [
    ...pnpm.slice(1),
    "--filter",
    "@kubeserve/db",
    "run",
    "migrate",
    "--if-empty",
  ]);
}
runStep("creating the demo user if needed …", process.execPath, [
  path.join(root, "apps/api/dist/cli/seed.js"),
]);

const api = startChild("API", [path.join(root, "apps/api/dist/server.js")], root);
const nextBin = path.join(root, "apps/web/node_modules/next/dist/bin/next");
if (!existsSync(nextBin)) throw new Error("Next.js is not installed: run pnpm install first");
const web = startChild(
  "dashboard",
  [nextBin, "start", "--port", String(webPort)],
  path.join(root, "apps/web"),
);

try {
  await waitFor(`http://127.0.0.1:${apiPort}/readyz`, api, "API");
  await waitFor(`http://127.0.0.1:${webPort}/`, web, "dashboard");
} catch (error) {
  console.error(`[kubeserve] ${error.message}`);
  stopAll(1);
}

const demoEmail = env.SEED_DEMO_EMAIL ?? "demo@kubeserve.local";
const demoPassword = env.SEED_DEMO_PASSWORD ?? "kubeserve-demo";
console.log(`
KubeServe is running
  Dashboard  ${webUrl}
  API        ${apiUrl}   (tRPC at ${apiUrl}/trpc, health at /healthz and /readyz)
  Sign in    ${demoEmail} / ${demoPassword}
  Database   ${isEmbedded ? `embedded PGlite in ${env.KUBESERVE_HOME ?? ".kubeserve"}/pgdata` : "PostgreSQL (DATABASE_URL)"}
Press Ctrl+C to stop.
`);
