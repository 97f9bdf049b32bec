import { type ChildProcess, spawn } from "node:child_process";
import { request as httpRequest } from "node:http";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  FIXTURES,
  postJson,
  postRaw,
  readSamples,
  request,
  slowModelRequest,
  type TLogLine,
  writeSlowModelFile,
} from "./helpers";

const CLI = fileURLToPath(new URL("../src/cli.ts", import.meta.url));
const iris = readSamples("iris-logreg");

type TRun = {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
};

function runCli(args: string[], env: Record<string, string> = {}): TRun {
  const child = spawn(process.execPath, ["--import", "tsx", CLI, ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exit };
}

async function waitForUrl(run: TRun): Promise<string> {
  for (let i = 0; i < 300; i++) {
    const match = /"url":"(http:[^"]+)".*?\n[\s\S]*"msg":"(model ready|all workers ready)"/.exec(
      run.stdout(),
    );
    if (match) return match[1]!;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`CLI did not become ready:\n${run.stdout()}\n${run.stderr()}`);
}

// each test starts the CLI through tsx, which takes seconds on a busy machine
describe("kubeserve-inference CLI", { timeout: 30_000 }, () => {
  it("exits 1 with a clear message when the model cannot be loaded", async () => {
    const run = runCli(["--model", "/nonexistent/model.onnx", "--port", "0"]);
    expect(await run.exit).toBe(1);
    expect(run.stderr()).toContain("model file /nonexistent/model.onnx does not exist");
  });

  it("exits 1 when the file is not an ONNX model", async () => {
    const run = runCli(["--model", `${FIXTURES}iris-logreg.samples.json`, "--port", "0"]);
    expect(await run.exit).toBe(1);
    expect(run.stderr()).toContain("cannot load ONNX model");
  });

  it("exits 2 naming the variable when configuration is invalid", async () => {
    const run = runCli(["--model", `${FIXTURES}iris-logreg.onnx`], { KUBESERVE_PORT: "http" });
    expect(await run.exit).toBe(2);
    expect(run.stderr()).toContain("KUBESERVE_PORT (--port)");
  });

  it("serves, then on SIGTERM finishes the request in flight and exits 0", async () => {
    const run = runCli([
      "--model",
      `${FIXTURES}iris-logreg.onnx`,
      "--name",
      "iris",
      "--port",
      "0",
      "--host",
      "127.0.0.1",
    ]);
    try {
      const url = await waitForUrl(run);
      // the first line names the port that --port 0 picked, for supervisors
      const first = JSON.parse(run.stdout().split("\n")[0]!) as Record<string, unknown>;
      expect(first).toMatchObject({
        msg: "listening",
        host: "127.0.0.1",
        port: Number(new URL(url).port),
      });
      expect((await postJson(`${url}/predict`, { instances: iris.inputs })).status).toBe(200);
      const body = Buffer.from(JSON.stringify({ instances: iris.inputs }));
      const status = new Promise<number>((resolve, reject) => {
        const req = httpRequest(`${url}/predict`, { method: "POST" }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on("error", reject);
        req.setHeader("content-length", body.length);
        // Half the body now, SIGTERM, then the rest: the request is in flight during shutdown.
        req.write(body.subarray(0, 10));
        setTimeout(() => {
          run.child.kill("SIGTERM");
          setTimeout(() => req.end(body.subarray(10)), 300);
        }, 200);
      });
      expect(await status).toBe(200);
      expect(await run.exit).toBe(0);
      expect(run.stderr()).toContain("SIGTERM received");
    } finally {
      run.child.kill("SIGKILL");
    }
  });

  it("on SIGTERM with a slow batch on the session, waits for it before releasing the model", async () => {
    const run = runCli([
      ...["--model", writeSlowModelFile(), "--name", "slow", "--port", "0", "--host", "127.0.0.1"],
      ...["--shutdown-timeout-ms", "0"],
    ]);
    try {
      const url = await waitForUrl(run);
      const { body, headers } = slowModelRequest();
      const replies = Array.from({ length: 5 }, () =>
        postRaw(`${url}/v2/models/slow/infer`, body, headers).then(
          (res) => res.status,
          () => "connection closed",
        ),
      );
      await Promise.race(replies);
      run.child.kill("SIGTERM");
      expect(await run.exit).toBe(0);
      await Promise.all(replies);
      const lines = run
        .stdout()
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as TLogLine);
      const shutDown = lines.find((l) => l.msg === "shut down");
      expect(shutDown!.awaitedRun === true || shutDown!.droppedQueued! > 0).toBe(true);
      expect(lines.filter((l) => l.level >= 50)).toEqual([]);
    } finally {
      run.child.kill("SIGKILL");
    }
  }, 30_000);

  it("--workers 2 with KUBESERVE_AUTH_TOKEN: every worker demands the token", async () => {
    const token = "cluster-token-0123456789abcdef";
    const run = runCli(
      [
        "--model",
        `${FIXTURES}iris-logreg.onnx`,
        "--name",
        "iris",
        "--port",
        "0",
        "--host",
        "127.0.0.1",
      ],
      { KUBESERVE_WORKERS: "2", KUBESERVE_AUTH_TOKEN: token },
    );
    try {
      const url = await waitForWorkersUrl(run);
      const listening = run
        .stdout()
        .split("\n")
        .filter((l) => l.includes('"msg":"listening"'))
        .map((l) => JSON.parse(l) as { port: number });
      // both workers listen on the one port the cluster picked
      expect(listening).toHaveLength(2);
      expect(new Set(listening.map((l) => l.port))).toEqual(new Set([Number(new URL(url).port)]));
      // a fresh connection per request, so the cluster's round robin reaches both workers
      const statuses = async (authorization?: string) => {
        const codes: number[] = [];
        for (let i = 0; i < 12; i++) {
          const reply = await postRaw(
            `${url}/predict`,
            JSON.stringify({ instances: iris.inputs }),
            {
              "content-type": "application/json",
              connection: "close",
              ...(authorization ? { authorization } : {}),
            },
          );
          codes.push(reply.status);
        }
        return codes;
      };
      expect(new Set(await statuses())).toEqual(new Set([401]));
      expect(new Set(await statuses(`Bearer ${token}x`))).toEqual(new Set([401]));
      expect(new Set(await statuses(`Bearer ${token}`))).toEqual(new Set([200]));
      const metrics = await request(`${url}/metrics`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(metrics.text).toMatch(/^requests_total\{protocol="predict",code="401",.*\} 24$/m);
      run.child.kill("SIGTERM");
      expect(await run.exit).toBe(0);
      expect(run.stdout() + run.stderr()).not.toContain(token);
    } finally {
      run.child.kill("SIGKILL");
    }
  }, 30_000);

  it("--workers 2 serves from two processes and sums their metrics", async () => {
    const run = runCli([
      "--model",
      `${FIXTURES}iris-logreg.onnx`,
      "--name",
      "iris",
      "--port",
      "0",
      "--host",
      "127.0.0.1",
      "--workers",
      "2",
    ]);
    try {
      const url = await waitForWorkersUrl(run);
      for (let i = 0; i < 20; i++) {
        expect(
          (await postJson(`${url}/predict`, { instances: iris.inputs.slice(0, 1) })).status,
        ).toBe(200);
      }
      const metrics = (await request(`${url}/metrics`)).text;
      expect(metrics).toMatch(/^predictions_total\{protocol="predict",.*\} 20$/m);
      run.child.kill("SIGTERM");
      expect(await run.exit).toBe(0);
    } finally {
      run.child.kill("SIGKILL");
    }
  }, 30_000);
});

async function waitForWorkersUrl(run: TRun): Promise<string> {
  for (let i = 0; i < 400; i++) {
    const text = run.stdout();
    const url = /"url":"(http:[^"]+)"/.exec(text)?.[1];
    if (url && text.includes("all workers ready")) return url;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`cluster did not become ready:\n${run.stdout()}\n${run.stderr()}`);
}
