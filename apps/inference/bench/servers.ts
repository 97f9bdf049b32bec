import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "@kubeserve/testing";

const APP = fileURLToPath(new URL("..", import.meta.url));

async function waitHealthy(url: string, child: ChildProcess, authToken?: string): Promise<void> {
  const headers: Record<string, string> = authToken ? { authorization: `Bearer ${authToken}` } : {};
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      if ((await fetch(url, { headers })).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not become healthy`);
}

export async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
  if (child.exitCode === null) child.kill("SIGKILL");
}

export type TStarted = { child: ChildProcess; port: number };

export async function startPeer(fixtures: string, model: string): Promise<TStarted> {
  const port = await freePort();
  const child = spawn(
    "/usr/bin/python3",
    [
      ...["-m", "uvicorn", "peer_server:app", "--host", "127.0.0.1", "--port", String(port)],
      ...["--workers", "2", "--log-level", "warning"],
    ],
    {
      cwd: fixtures,
      env: { ...process.env, MODEL_PATH: `${model}.joblib`, OPENBLAS_NUM_THREADS: "1" },
      stdio: "ignore",
    },
  );
  await waitHealthy(`http://127.0.0.1:${port}/health`, child);
  return { child, port };
}

export async function startOurs(
  fixtures: string,
  model: string,
  options: { workers: number; batching: string; extraArgs: string[]; authToken?: string },
): Promise<TStarted> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      path.join(APP, "dist/cli.js"),
      ...["--model", path.join(fixtures, `${model}.onnx`), "--host", "127.0.0.1"],
      ...["--port", String(port), "--workers", String(options.workers)],
      ...["--batching", options.batching, "--log-level", "warn", ...options.extraArgs],
    ],
    {
      // the token goes through the environment, as supervisors pass it
      env: { ...process.env, KUBESERVE_AUTH_TOKEN: options.authToken ?? "" },
      stdio: "ignore",
    },
  );
  await waitHealthy(`http://127.0.0.1:${port}/v2/health/ready`, child, options.authToken);
  return { child, port };
}
