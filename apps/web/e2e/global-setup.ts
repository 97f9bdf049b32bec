import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, waitFor } from "@kubeserve/testing";

const webDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const repoRoot = path.resolve(webDir, "../..");

function start(name: string, args: string[], cwd: string, env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, args, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    // Its own process group, so teardown stops whatever it started too.
    detached: true,
  });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString());
    if (output.length > 200) output.shift();
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  return { name, child, output };
}

function stop(child: ChildProcess) {
  if (child.pid === undefined || child.exitCode !== null) return;
  try {
    process.kill(-child.pid, "SIGTERM");
  } catch {
    // Already gone.
  }
}

export default async function globalSetup() {
  // Debugging against servers started by hand: KS_E2E_API_URL and KS_E2E_WEB_URL point at them.
  if (process.env.KS_E2E_API_URL && process.env.KS_E2E_WEB_URL) return undefined;
  const home = mkdtempSync(path.join(tmpdir(), "kubeserve-e2e-"));
  const [apiPort, webPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const webUrl = `http://127.0.0.1:${webPort}`;
  const common = { KUBESERVE_HOME: home, NEXT_TELEMETRY_DISABLED: "1" };
  const api = start("API", [path.join(repoRoot, "apps/api/dist/server.js")], repoRoot, {
    ...common,
    NODE_ENV: "development",
    API_HOST: "127.0.0.1",
    API_PORT: String(apiPort),
    WEB_ORIGIN: webUrl,
    LOG_LEVEL: "warn",
    // Every test registers its own users from one address; the per-IP limit has tests of its own in the API.
    REGISTRATION_MAX_PER_IP: "1000",
    DATABASE_URL: "",
    // The deployment journey waits for charts: the API reads its replicas every 2 s instead of the default.
    METRICS_SCRAPE_SECONDS: "2",
    // Its own metrics port too, so two e2e runs on one machine do not collide on the default 9464.
    METRICS_PORT: String(metricsPort),
  });
  const web = start(
    "dashboard",
    [
      path.join(webDir, "node_modules/next/dist/bin/next"),
      "start",
      "--hostname",
      "127.0.0.1",
      "--port",
      String(webPort),
    ],
    webDir,
    { ...common, NODE_ENV: "production", API_INTERNAL_URL: apiUrl, NEXTAUTH_URL: webUrl },
  );
  const teardown = () => {
    stop(web.child);
    stop(api.child);
    rmSync(home, { recursive: true, force: true });
  };
  try {
    for (const [service, url] of [
      [api, `${apiUrl}/readyz`],
      [web, `${webUrl}/login`],
    ] as const) {
      await waitFor(async () => ((await fetch(url)).ok ? true : undefined), {
        what: `${service.name} at ${url}`,
        timeoutMs: 90_000,
        intervalMs: 250,
        abortIf: () =>
          service.child.exitCode !== null
            ? `exited with ${service.child.exitCode}:\n${service.output.join("")}`
            : undefined,
      });
    }
  } catch (error) {
    teardown();
    throw error;
  }
  process.env.KS_E2E_API_URL = apiUrl;
  process.env.KS_E2E_WEB_URL = webUrl;
  return teardown;
}
