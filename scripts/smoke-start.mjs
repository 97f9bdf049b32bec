#!/usr/bin/env node
// `pnpm test:start`: runs the README's start command on a fresh embedded home and checks what it prints
// and serves — the dashboard, the API, a sign-in as the demo user — then that Ctrl+C stops everything.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

function freePort() {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function fail(message, output) {
  console.error(`start smoke test FAILED: ${message}\n--- output ---\n${output}`);
  process.exit(1);
}

const home = mkdtempSync(path.join(tmpdir(), "ks-smoke-"));
const [apiPort, webPort] = [await freePort(), await freePort()];
const env = {
  ...process.env,
  KUBESERVE_HOME: home,
  API_PORT: String(apiPort),
  WEB_PORT: String(webPort),
};
delete env.DATABASE_URL;
const child = spawn(process.execPath, [path.join(root, "scripts/start.mjs")], {
  cwd: root,
  env,
  stdio: ["ignore", "pipe", "pipe"],
  detached: true,
});
let output = "";
child.stdout.on("data", (chunk) => (output += chunk));
child.stderr.on("data", (chunk) => (output += chunk));
const exited = new Promise((resolve) => child.on("exit", (code) => resolve(code)));

const deadline = Date.now() + 240_000;
while (!output.includes("KubeServe is running")) {
  if (child.exitCode !== null) fail(`start exited with ${child.exitCode}`, output);
  if (Date.now() > deadline) fail("no 'KubeServe is running' within 240 s", output);
  await new Promise((resolve) => setTimeout(resolve, 500));
}
for (const url of [`http://localhost:${webPort}`, `http://localhost:${apiPort}`]) {
  if (!output.includes(url)) fail(`the printed URLs do not include ${url}`, output);
}

const page = await fetch(`http://127.0.0.1:${webPort}/`);
const html = await page.text();
if (!page.ok || !html.includes("KubeServe") || !html.includes("ready"))
  fail("dashboard did not report a ready API", html);

const login = await fetch(`http://127.0.0.1:${apiPort}/trpc/auth.login`, {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ email: "demo@kubeserve.local", password: "kubeserve-demo" }),
});
const body = await login.json();
const token = body?.result?.data?.accessToken;
if (!token) fail(`demo sign-in failed: ${JSON.stringify(body)}`, output);
const me = await fetch(`http://127.0.0.1:${apiPort}/trpc/auth.me`, {
  headers: { authorization: `Bearer ${token}` },
});
if (me.status !== 200) fail(`auth.me answered ${me.status}`, output);

child.kill("SIGINT");
const code = await Promise.race([
  exited,
  new Promise((resolve) => setTimeout(() => resolve("timeout"), 30_000)),
]);
if (code !== 0) {
  process.kill(-child.pid, "SIGKILL");
  fail(`Ctrl+C should stop the platform with exit 0, got ${code}`, output);
}
for (const port of [apiPort, webPort]) {
  const isStillServing = await fetch(`http://127.0.0.1:${port}/`).then(
    () => true,
    () => false,
  );
  if (isStillServing) fail(`something still answers on port ${port} after Ctrl+C`, output);
}
rmSync(home, { recursive: true, force: true });
console.log(
  "start smoke test passed: dashboard, API and demo sign-in served; Ctrl+C stopped everything",
);
