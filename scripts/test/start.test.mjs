// `pnpm test:start`: runs the README's start command for real on a fresh embedded home and checks what it
// serves, where it listens, and that every way of stopping it (a signal to the top `npx` process or to
// start.mjs, SIGKILL of either, a failed start) leaves no process and no listening port behind. Processes
// are found three ways: by an environment marker every descendant inherits, by process tree, and by port.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, afterEach, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import {
  findByEnv,
  findTree,
  isAlive,
  isLoopback,
  listListeners,
  listListenersOf,
} from "../lib/inspect.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const marker = "KUBESERVE_START_TEST_RUN";
const home = mkdtempSync(path.join(tmpdir(), "ks-start-"));
const launched = [];
const startTimeoutMs = 240_000;
const stopTimeoutMs = 40_000;

function freePort() {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Starts the platform as a user would: the README's `npx -y pnpm@10.34.9 start`, or start.mjs itself. */
async function launch(name, { isViaNpx = false, env: extra = {} } = {}) {
  const run = { name, id: `${name}-${randomUUID()}`, apiPort: await freePort() };
  run.webPort = await freePort();
  const env = { ...process.env };
  for (const key of ["DATABASE_URL", "API_HOST", "WEB_HOST", "WEB_ORIGIN", "API_INTERNAL_URL"]) {
    delete env[key];
  }
  // A user's shell has no npm_* variables from an enclosing `pnpm run`.
  if (isViaNpx) for (const key of Object.keys(env)) if (key.startsWith("npm_")) delete env[key];
  Object.assign(env, {
    KUBESERVE_HOME: home,
    API_PORT: String(run.apiPort),
    WEB_PORT: String(run.webPort),
    METRICS_PORT: String(await freePort()),
    [marker]: run.id,
    ...extra,
  });
  const [command, args] = isViaNpx
    ? ["npx", ["-y", "pnpm@10.34.9", "start"]]
    : [process.execPath, [path.join(root, "scripts/start.mjs")]];
  // Its own process group, so a failed test can kill everything it started in one go.
  run.child = spawn(command, args, {
    cwd: root,
    env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  run.output = "";
  run.child.stdout.on("data", (chunk) => (run.output += chunk));
  run.child.stderr.on("data", (chunk) => (run.output += chunk));
  run.exited = new Promise((resolve) =>
    run.child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  launched.push(run);
  return run;
}

function describeProcesses(list) {
  return list.map((p) => `  ${p.pid} ${p.argv.join(" ").slice(0, 120)}`).join("\n");
}

function fail(run, message) {
  assert.fail(`${message}\n--- output of ${run.name} ---\n${run.output.slice(-6000)}`);
}

async function waitForBanner(run) {
  const deadline = Date.now() + startTimeoutMs;
  while (!run.output.includes("KubeServe is running")) {
    if (run.child.exitCode !== null) fail(run, `start exited with ${run.child.exitCode}`);
    if (Date.now() > deadline) fail(run, "no 'KubeServe is running' within 240 s");
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Everything this run started, by marker and by tree, checked to hold the three processes that matter. */
function snapshot(run) {
  const byPid = new Map();
  for (const p of [...findTree(run.child.pid), ...findByEnv(marker, run.id)]) byPid.set(p.pid, p);
  const processes = [...byPid.values()];
  const has = (test) => processes.some((p) => test(p.argv.join(" ")));
  for (const [what, test] of [
    ["start.mjs", (a) => a.includes("scripts/start.mjs")],
    ["the API", (a) => a.includes("apps/api/dist/server.js")],
    ["next-server", (a) => a.startsWith("next-server")],
  ]) {
    if (!has(test)) fail(run, `${what} not found among\n${describeProcesses(processes)}`);
  }
  const listeners = listListenersOf(processes.map((p) => p.pid));
  for (const port of [run.apiPort, run.webPort]) {
    if (!listeners.some((l) => l.port === port))
      fail(run, `no process of the run listens on ${port}`);
  }
  return { processes, listeners };
}

/** Waits until no process of the run is alive, by tree snapshot or by marker, and both ports are free. */
async function assertNothingLeft(run, processes = []) {
  const deadline = Date.now() + stopTimeoutMs;
  for (;;) {
    const left = [...processes.filter(isAlive), ...findByEnv(marker, run.id)];
    const ports = listListeners().filter((l) => l.port === run.apiPort || l.port === run.webPort);
    if (left.length === 0 && ports.length === 0) break;
    if (Date.now() > deadline) {
      const where = ports.map((l) => `${l.address}:${l.port}`).join(", ");
      fail(run, `still running after stop:\n${describeProcesses(left)}\nlistening: ${where}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  for (const port of [run.apiPort, run.webPort]) {
    const isServing = await fetch(`http://127.0.0.1:${port}/`).then(
      () => true,
      () => false,
    );
    if (isServing) fail(run, `something still answers on port ${port}`);
  }
}

async function exitOf(run) {
  const timeout = new Promise((resolve) => setTimeout(() => resolve("timeout"), stopTimeoutMs));
  return Promise.race([run.exited, timeout]);
}

function kill(pid) {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}

/** Kills what a run started: its process group while it runs, then anything with its marker. */
function stopRun(run) {
  if (run.child.pid && run.child.exitCode === null && run.child.signalCode === null) {
    kill(-run.child.pid);
  }
  for (const p of findByEnv(marker, run.id)) kill(p.pid);
}

after(() => {
  for (const run of launched) stopRun(run);
  rmSync(home, { recursive: true, force: true });
});

describe("pnpm start", { concurrency: 1 }, () => {
  // A failed test's run is stopped before the next test starts: left running, it shares the home (and its
  // embedded database) with the next run and breaks it. After a passing test there is nothing left to stop.
  afterEach(() => {
    for (const run of launched) stopRun(run);
  });

  it("serves on loopback only by default; SIGTERM to the top npx process stops everything", async () => {
    const run = await launch("npx-sigterm", { isViaNpx: true });
    await waitForBanner(run);
    for (const url of [`http://localhost:${run.webPort}`, `http://localhost:${run.apiPort}`]) {
      if (!run.output.includes(url)) fail(run, `the printed URLs do not include ${url}`);
    }
    const page = await fetch(`http://127.0.0.1:${run.webPort}/`);
    const html = await page.text();
    assert.equal(page.status, 200);
    assert.match(
      page.url,
      /\/login\?callbackUrl=%2F$/,
      "the dashboard sends a new visitor to sign in",
    );
    assert.match(html, /Sign in/);
    assert.match(html, /value="demo@kubeserve.local"/, "the demo sign-in is filled in");
    const login = await fetch(`http://127.0.0.1:${run.apiPort}/trpc/auth.login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "demo@kubeserve.local", password: "kubeserve-demo" }),
    });
    const token = (await login.json())?.result?.data?.accessToken;
    assert.ok(token, "the demo user can sign in");
    const me = await fetch(`http://127.0.0.1:${run.apiPort}/trpc/auth.me`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(me.status, 200);

    const { processes, listeners } = snapshot(run);
    const exposed = listeners.filter((l) => !isLoopback(l.address));
    assert.deepEqual(exposed, [], "nothing of pnpm start listens beyond loopback by default");

    process.kill(run.child.pid, "SIGTERM");
    await assertNothingLeft(run, processes);
    assert.match(run.output, /stopping: the process that started it \(pid \d+\) is gone/);
    assert.match(run.output, /stopped \(exit 0\)/);
  });

  it("the README's end-to-end script passes against it: upload, deploy, predict with a key, delete", async () => {
    const run = await launch("integration");
    await waitForBanner(run);
    // Asynchronous, so this process keeps draining the platform's output meanwhile.
    const script = spawn(
      "bash",
      [path.join(root, "scripts/integration-test.sh"), `http://127.0.0.1:${run.apiPort}`],
      { env: { ...process.env, WAIT_SECONDS: "90" }, stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    script.stdout.on("data", (chunk) => (output += chunk));
    script.stderr.on("data", (chunk) => (output += chunk));
    const timer = setTimeout(() => script.kill("SIGKILL"), 180_000);
    const status = await new Promise((resolve) => script.once("exit", (code) => resolve(code)));
    clearTimeout(timer);
    if (status !== 0) fail(run, `integration-test.sh exited ${status}:\n${output}`);
    assert.match(output, /==> predict with the API key/);
    assert.match(output, /PASS: integration test/);
    const { processes } = snapshot(run);
    process.kill(run.child.pid, "SIGTERM");
    await assertNothingLeft(run, processes);
  });

  it("SIGKILL of the top npx process still stops everything", async () => {
    const run = await launch("npx-sigkill", { isViaNpx: true });
    await waitForBanner(run);
    const { processes } = snapshot(run);
    process.kill(run.child.pid, "SIGKILL");
    await assertNothingLeft(run, processes);
    assert.match(run.output, /stopped \(exit 0\)/);
  });

  it("SIGINT to start.mjs exits 0; WEB_HOST moves only the dashboard", async () => {
    const run = await launch("sigint", { env: { WEB_HOST: "0.0.0.0" } });
    await waitForBanner(run);
    const { processes, listeners } = snapshot(run);
    const at = (port) => listeners.filter((l) => l.port === port).map((l) => l.address);
    assert.deepEqual(at(run.apiPort), ["127.0.0.1"]);
    assert.deepEqual(at(run.webPort), ["0.0.0.0"]);
    process.kill(run.child.pid, "SIGINT");
    assert.deepEqual(await exitOf(run), { code: 0, signal: null });
    await assertNothingLeft(run, processes);
  });

  it("SIGTERM to start.mjs exits 0; API_HOST moves the API and the dashboard together", async () => {
    const run = await launch("sigterm", { env: { API_HOST: "0.0.0.0" } });
    await waitForBanner(run);
    const { processes, listeners } = snapshot(run);
    const at = (port) => listeners.filter((l) => l.port === port).map((l) => l.address);
    assert.deepEqual(at(run.apiPort), ["0.0.0.0"]);
    assert.deepEqual(at(run.webPort), ["0.0.0.0"]);
    process.kill(run.child.pid, "SIGTERM");
    assert.deepEqual(await exitOf(run), { code: 0, signal: null });
    await assertNothingLeft(run, processes);
  });

  for (const signal of ["SIGHUP", "SIGQUIT"]) {
    it(`${signal} to start.mjs exits 0 and stops everything`, async () => {
      const run = await launch(signal.toLowerCase());
      await waitForBanner(run);
      const { processes } = snapshot(run);
      process.kill(run.child.pid, signal);
      assert.deepEqual(await exitOf(run), { code: 0, signal: null });
      await assertNothingLeft(run, processes);
    });
  }

  it("Ctrl+C in a terminal (SIGINT to the whole foreground group under npx) stops everything", async () => {
    const run = await launch("npx-ctrl-c", { isViaNpx: true });
    await waitForBanner(run);
    const { processes } = snapshot(run);
    process.kill(-run.child.pid, "SIGINT");
    await assertNothingLeft(run, processes);
    assert.match(run.output, /stopping: received SIGINT/);
    assert.match(run.output, /stopped \(exit 0\)/);
  });

  it("SIGKILL of start.mjs: the API and the dashboard notice and stop themselves", async () => {
    const run = await launch("sigkill");
    await waitForBanner(run);
    const { processes } = snapshot(run);
    process.kill(run.child.pid, "SIGKILL");
    await assertNothingLeft(run, processes);
    assert.match(run.output, /the start command \(pid \d+\) is gone/);
  });

  it("a signal during the build stops the build's processes too", async (t) => {
    // A forced rebuild keeps turbo, tsup and next build busy long enough to be caught mid-way.
    const run = await launch("during-build", { env: { TURBO_FORCE: "true" } });
    const deadline = Date.now() + 60_000;
    let building = [];
    while (building.length === 0) {
      if (run.child.exitCode !== null || Date.now() > deadline) fail(run, "the build never ran");
      await new Promise((resolve) => setTimeout(resolve, 200));
      building = findTree(run.child.pid).filter((p) =>
        / run build$|tsup|next build/.test(p.argv.join(" ")),
      );
    }
    const processes = findTree(run.child.pid);
    t.diagnostic(
      `caught mid-build: ${building.map((p) => p.argv.slice(0, 3).join(" ")).join("; ")}`,
    );
    process.kill(run.child.pid, "SIGTERM");
    assert.deepEqual(await exitOf(run), { code: 0, signal: null });
    assert.doesNotMatch(run.output, /KubeServe is running/);
    await assertNothingLeft(run, processes);
  });

  it("a start that fails while waiting says why, exits non-zero, never prints the banner", async () => {
    // TEST-NET-2 is never assigned to this machine, so both servers fail to listen.
    const run = await launch("failed-wait", { env: { API_HOST: "198.51.100.7" } });
    const result = await exitOf(run);
    assert.notEqual(result, "timeout");
    assert.equal(result.code, 1, run.output);
    assert.match(
      run.output,
      /failed to start: (API|dashboard) exited with code \d+ before answering/,
    );
    assert.doesNotMatch(run.output, /KubeServe is running/);
    await assertNothingLeft(run);
  });

  it("a taken port or a bad setting stops it before anything starts", async () => {
    const blocker = createServer().listen(0, "127.0.0.1");
    await new Promise((resolve) => blocker.once("listening", resolve));
    try {
      const port = blocker.address().port;
      const busy = await launch("busy-port", { env: { WEB_PORT: String(port) } });
      assert.deepEqual(await exitOf(busy), { code: 1, signal: null });
      assert.match(busy.output, new RegExp(`port ${port} is in use: .* set WEB_PORT`));
      assert.doesNotMatch(busy.output, /building/);
    } finally {
      blocker.close();
    }
    for (const [variable, value] of [
      ["API_PORT", "abc"],
      ["WEB_PORT", "70000"],
      ["API_HOST", "http://0.0.0.0"],
    ]) {
      const bad = await launch(`bad-${variable}`, { env: { [variable]: value } });
      assert.deepEqual(await exitOf(bad), { code: 2, signal: null });
      assert.match(bad.output, new RegExp(`invalid configuration: ${variable}: must be`));
    }
  });
});
