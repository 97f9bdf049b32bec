import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { freePort, waitFor } from "@kubeserve/testing";

// The real API server (src/server.ts) as its own process, for tests of what only a process can show.

const serverEntry = path.resolve(import.meta.dirname, "../server.ts");

type TApiProcessOptions = {
  databaseUrl: string;
  home: string;
  port: number;
  env: Record<string, string>;
};

/** Spawns the API on `port` and resolves once /readyz answers 200 (rejects if it exits first). */
export async function startApiProcess(
  options: TApiProcessOptions,
): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", serverEntry], {
    env: {
      PATH: process.env.PATH ?? "",
      DATABASE_URL: options.databaseUrl,
      KUBESERVE_HOME: options.home,
      API_PORT: String(options.port),
      METRICS_PORT: String(await freePort()),
      LOG_LEVEL: "warn",
      ...options.env,
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const url = `http://127.0.0.1:${options.port}`;
  try {
    await waitFor(async () => ((await fetch(`${url}/readyz`)).status === 200 ? true : undefined), {
      what: `API at ${url}`,
      timeoutMs: 60_000,
      intervalMs: 200,
      abortIf: () => (child.exitCode !== null ? "the API exited" : undefined),
    });
  } catch (error) {
    if (child.exitCode === null) child.kill("SIGKILL");
    throw error;
  }
  return { child, url };
}
