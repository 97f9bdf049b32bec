#!/usr/bin/env node
// `pnpm start`: builds what is needed, prepares the database, starts the API and the dashboard, and
// prints their URLs. With no configuration it runs on embedded defaults (PGlite and files under .kubeserve/).
// Every way of being stopped stops everything: a signal to this process or to whatever launched it
// (npx, pnpm, a supervisor), even SIGKILL of either; a clean stop exits 0, a failed start exits non-zero.
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { findLauncherChain, signalGroup, watchLaunchers } from "./lib/processes.mjs";
import { readStartConfig, StartConfigError } from "./lib/start-config.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const preload = pathToFileURL(path.join(root, "scripts/lib/exit-with-parent.mjs")).href;
const stopGraceMs = 20_000;
const readyTimeoutMs = 90_000;

function log(message) {
  console.log(`[kubeserve] ${message}`);
}

function logError(message) {
  console.error(`[kubeserve] ${message}`);
}

let config;
try {
  config = readStartConfig();
} catch (error) {
  if (!(error instanceof StartConfigError)) throw error;
  logError(`invalid configuration: ${error.message}`);
  process.exit(2);
}

const env = {
  ...process.env,
  NEXT_TELEMETRY_DISABLED: "1",
  TURBO_TELEMETRY_DISABLED: "1",
  API_HOST: config.apiHost,
  API_PORT: String(config.apiPort),
  WEB_ORIGIN: config.webOrigin,
  API_INTERNAL_URL: config.apiInternalUrl,
  NEXTAUTH_URL: process.env.NEXTAUTH_URL || config.webUrl,
  // A laptop install's first visit signs in with one click; a real deployment sets up its own users.
  WEB_DEMO_PREFILL: process.env.WEB_DEMO_PREFILL || (config.isEmbedded ? "true" : "false"),
  KUBESERVE_HOME: process.env.KUBESERVE_HOME || path.resolve(root, config.home),
  // The dashboard, on this machine, reports each browser's address for the API's per-IP limits.
  TRUST_PROXY: process.env.TRUST_PROXY || "loopback",
  LOG_REQUESTS: config.logRequests,
};

// Runs pnpm the same way this script was started (npx pnpm, corepack or a global pnpm); started as plain
// `node scripts/start.mjs` without pnpm installed, the pinned pnpm through npx.
function findPnpm() {
  if (env.npm_execpath?.includes("pnpm")) return [process.execPath, env.npm_execpath];
  const dirs = (env.PATH ?? "").split(path.delimiter).filter(Boolean);
  if (dirs.some((dir) => existsSync(path.join(dir, "pnpm")))) return ["pnpm"];
  const { packageManager } = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"));
  return ["npx", "-y", packageManager];
}
const pnpm = findPnpm();

// Losing the terminal or the reading end of a pipe must not crash us before the children are stopped.
process.stdout.on("error", () => {});
process.stderr.on("error", () => {});

/** Every child runs in its own process group, so stopping it also stops whatever it started. */
const running = new Set();
let stopping;
let isForced = false;
// What a caller awaits once the process is on its way out: the exit comes from stop().
const never = new Promise(() => {});

function spawnGroup(name, command, args, cwd = root) {
  const child = spawn(command, args, {
    cwd,
    env,
    stdio: ["ignore", "inherit", "inherit"],
    detached: true,
  });
  const entry = { name, child };
  entry.exited = new Promise((resolve) => {
    child.once("error", (error) => {
      logError(`${name}: ${error.message}`);
      resolve({ code: 127, signal: null });
    });
    child.once("exit", (code, signal) => resolve({ code, signal }));
  }).then((result) => {
    running.delete(entry);
    // Whatever the child left behind in its group goes with it.
    if (child.pid !== undefined) signalGroup(child.pid, "SIGKILL");
    return result;
  });
  running.add(entry);
  return entry;
}

function forceKill() {
  isForced = true;
  for (const { name, child } of running) {
    logError(`${name} did not stop in time: killing it`);
    signalGroup(child.pid, "SIGKILL");
  }
}

/** Stops every child (SIGTERM, then SIGKILL after the grace period) and exits; never resolves. */
function stop(reason, code) {
  if (stopping) return never;
  log(`stopping: ${reason}`);
  for (const { child } of running) signalGroup(child.pid, "SIGTERM");
  const force = setTimeout(forceKill, stopGraceMs);
  stopping = Promise.all([...running].map((entry) => entry.exited)).then(() => {
    clearTimeout(force);
    const exitCode = code === 0 && isForced ? 1 : code;
    log(`stopped (exit ${exitCode})`);
    process.exit(exitCode);
  });
  return never;
}

for (const signal of ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"]) {
  // A second signal while stopping means "now".
  process.on(signal, () => (stopping ? forceKill() : stop(`received ${signal}`, 0)));
}
watchLaunchers(findLauncherChain(), (gone) =>
  stop(`the process that started it (pid ${gone.pid}) is gone`, 0),
);

async function runStep(title, command, args) {
  log(title);
  const { code, signal } = await spawnGroup(title, command, args).exited;
  if (stopping) return never;
  if (code !== 0) {
    logError(`failed: ${title} (${signal ? `killed by ${signal}` : `exit ${code}`})`);
    return stop("a start step failed", code || 1);
  }
}

function isPortFree(port) {
  return new Promise((resolve) => {
    // Bound on every address: a port taken on any of them would make the printed URL ambiguous.
    const server = createServer()
      .once("error", () => resolve(false))
      .listen(port, () => server.close(() => resolve(true)));
  });
}

function startService(name, args, cwd, readyUrl) {
  const entry = spawnGroup(name, process.execPath, ["--import", preload, ...args], cwd);
  entry.isReady = false;
  void entry.exited.then(({ code, signal }) => {
    if (stopping) return;
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    logError(
      entry.isReady
        ? `${name} ${how} unexpectedly`
        : `failed to start: ${name} ${how} before answering ${readyUrl}`,
    );
    void stop(`${name} is not running`, 1);
  });
  return entry;
}

async function waitUntilReady(entry, url) {
  const deadline = Date.now() + readyTimeoutMs;
  while (!stopping && running.has(entry)) {
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(5_000) })).ok) {
        entry.isReady = true;
        return;
      }
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      logError(`failed to start: ${entry.name} did not answer ${url} within 90 s`);
      return stop(`${entry.name} is not ready`, 1);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  // It exited (its exit handler reports why and stops the rest) or we are stopping.
  return never;
}

for (const [port, variable] of [
  [config.apiPort, "API_PORT"],
  [config.webPort, "WEB_PORT"],
]) {
  if (!(await isPortFree(port))) {
    logError(`port ${port} is in use: stop what uses it or set ${variable}`);
    process.exit(1);
  }
}

await runStep(
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

if (!config.isEmbedded) {
  // A brand-new PostgreSQL database is initialised here; later migrations are an explicit `pnpm db:migrate`.
  await runStep("preparing PostgreSQL …", process.execPath, [
    path.join(root, "apps/api/dist/cli/migrate.js"),
    "deploy",
    "--if-empty",
  ]);
}
await runStep("creating the demo user if needed …", process.execPath, [
  path.join(root, "apps/api/dist/cli/seed.js"),
]);

const nextBin = path.join(root, "apps/web/node_modules/next/dist/bin/next");
if (!existsSync(nextBin)) {
  logError("Next.js is not installed: run pnpm install first");
  process.exit(1);
}
const apiReadyUrl = `${config.apiLocalUrl}/readyz`;
const webReadyUrl = `${config.webLocalUrl}/`;
const api = startService("API", [path.join(root, "apps/api/dist/server.js")], root, apiReadyUrl);
const web = startService(
  "dashboard",
  [nextBin, "start", "--hostname", config.webHost, "--port", String(config.webPort)],
  path.join(root, "apps/web"),
  webReadyUrl,
);
await waitUntilReady(api, apiReadyUrl);
await waitUntilReady(web, webReadyUrl);

console.log(`
KubeServe is running
  Dashboard  ${config.webUrl}
  API        ${config.apiUrl}   (tRPC at ${config.apiUrl}/trpc, health at /healthz and /readyz)
  Sign in    ${config.demoEmail} / ${config.demoPassword}
  Database   ${config.isEmbedded ? `embedded PGlite in ${config.home}/pgdata` : "PostgreSQL (DATABASE_URL)"}
  Listening  API on ${config.apiHost}, dashboard on ${config.webHost} (set API_HOST to change both)
  Requests   ${config.logRequests === "false" ? "not logged (LOG_REQUESTS=true logs one line each)" : "one line each (LOG_REQUESTS)"}
Press Ctrl+C to stop.
`);
