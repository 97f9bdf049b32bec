import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ModelSourceError, startInferenceServer } from "../src/index";
import { FIXTURES, postJson, readSamples } from "./helpers";

const CLI = fileURLToPath(new URL("../src/cli.ts", import.meta.url));
const TOKEN = "deployment-read-token-7f3a9c";
const iris = readSamples("iris-logreg");
const modelBytes = readFileSync(`${FIXTURES}iris-logreg.onnx`);
const sha256 = createHash("sha256").update(modelBytes).digest("hex");
const etag = `"${sha256}"`;

type TSeen = { url: string; authorization: string | undefined; status: number };

/** A stand-in for the API's artifact route: bearer token, ETag, 401/403/404, redirects. */
function artifactServer(otherOrigin: () => string) {
  const seen: TSeen[] = [];
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://x");
    const answer = (
      status: number,
      body?: Buffer | string,
      headers: Record<string, string> = {},
    ) => {
      seen.push({ url: req.url ?? "", authorization: req.headers.authorization, status });
      res.writeHead(status, headers);
      res.end(body);
    };
    if (url.pathname === "/redirect-same")
      return answer(302, undefined, { location: "/artifacts/iris.onnx" });
    if (url.pathname === "/redirect-cross") {
      return answer(302, undefined, {
        location: `${otherOrigin()}/presigned/iris.onnx?X-Amz-Signature=abc`,
      });
    }
    if (url.pathname === "/presigned/iris.onnx") return answer(200, modelBytes);
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      return answer(401, JSON.stringify({ error: "missing or invalid deployment token" }));
    }
    if (url.pathname === "/artifacts/forbidden.onnx") {
      return answer(403, JSON.stringify({ error: "token is not valid for this artifact" }));
    }
    if (url.pathname === "/artifacts/truncated.onnx") {
      seen.push({ url: req.url ?? "", authorization: req.headers.authorization, status: 200 });
      res.writeHead(200, { "content-length": String(modelBytes.length) });
      res.write(modelBytes.subarray(0, 100));
      setTimeout(() => res.destroy(), 50);
      return;
    }
    if (url.pathname !== "/artifacts/iris.onnx")
      return answer(404, JSON.stringify({ error: "not found" }));
    if (req.headers["if-none-match"] === etag) return answer(304, undefined, { etag });
    return answer(200, modelBytes, { etag, "content-length": String(modelBytes.length) });
  };
  return { server: createServer(handle), seen };
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function captureLogs() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _e, callback) {
      lines.push(chunk.toString());
      callback();
    },
  });
  return { logger: pino({ level: "info" }, sink), text: () => lines.join("") };
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

// Generous: these start real servers and processes on a shared, often loaded machine.
describe("loading a model over http(s) with a bearer token", { timeout: 30_000 }, () => {
  const main = artifactServer(() => otherBase);
  const other = artifactServer(() => otherBase);
  let base: string;
  let otherBase: string;
  const workDir = mkdtempSync(path.join(tmpdir(), "kubeserve-http-"));

  beforeAll(async () => {
    base = await listen(main.server);
    otherBase = await listen(other.server);
  });
  afterAll(() => {
    main.server.close();
    other.server.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  const start = (model: string, extra: Record<string, unknown> = {}) =>
    startInferenceServer({
      model,
      name: "iris",
      host: "127.0.0.1",
      port: 0,
      cacheDir: path.join(workDir, "cache"),
      modelToken: TOKEN,
      logger: pino({ level: "silent" }),
      ...extra,
    });

  it("downloads with the token, verifies the checksum, serves, and keeps the token out of logs", async () => {
    const logs = captureLogs();
    const server = await start(`${base}/artifacts/iris.onnx`, { sha256, logger: logs.logger });
    try {
      expect((await postJson(`${server.url}/predict`, { instances: iris.inputs })).status).toBe(
        200,
      );
      const cached = readFileSync(path.join(workDir, "cache", "sha256", sha256));
      expect(cached.equals(modelBytes)).toBe(true);
      expect(main.seen.at(-1)).toMatchObject({ authorization: `Bearer ${TOKEN}`, status: 200 });
      expect(logs.text()).toContain("model file ready in cache");
      expect(logs.text()).not.toContain(TOKEN);
    } finally {
      await server.close();
    }
  });

  it("reuses the verified cached file without a request", async () => {
    const before = main.seen.length;
    const server = await start("http://127.0.0.1:9/artifacts/iris.onnx", {
      sha256,
      modelToken: undefined,
    });
    await server.close();
    expect(main.seen.length).toBe(before);
  });

  it.each([
    [undefined, "artifacts/iris.onnx", /HTTP 401 Unauthorized \(the model token is missing/],
    ["wrong-token", "artifacts/iris.onnx", /HTTP 401/],
    [
      TOKEN,
      "artifacts/forbidden.onnx",
      /HTTP 403 Forbidden .*token is not valid for this artifact/,
    ],
    [TOKEN, "artifacts/missing.onnx", /HTTP 404 Not Found/],
    [TOKEN, "artifacts/truncated.onnx", /download of .* (failed|is truncated)/],
  ])(
    "token %j on %s fails clearly and leaves nothing in the cache",
    async (token, file, message) => {
      const cacheDir = path.join(
        workDir,
        `cache-fail-${file.replace(/\W/g, "")}-${token ?? "none"}`,
      );
      const error = await start(`${base}/${file}`, { sha256, modelToken: token, cacheDir }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ModelSourceError);
      expect((error as Error).message).toMatch(message);
      expect(filesUnder(cacheDir)).toEqual([]);
    },
  );

  it("refuses a file whose checksum does not match", async () => {
    const cacheDir = path.join(workDir, "cache-mismatch");
    const error = await start(`${base}/artifacts/iris.onnx`, {
      sha256: "0".repeat(64),
      cacheDir,
    }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(
      /checksum mismatch .* expected sha256 0{64}, downloaded [0-9a-f]{64}/,
    );
    expect(filesUnder(cacheDir)).toEqual([]);
  });

  it("keeps the token on same-origin redirects and drops it on cross-origin ones (presigned URLs)", async () => {
    const same = await start(`${base}/redirect-same`, {
      cacheDir: path.join(workDir, "cache-same"),
    });
    await same.close();
    expect(main.seen.at(-1)).toMatchObject({
      url: "/artifacts/iris.onnx",
      authorization: `Bearer ${TOKEN}`,
    });
    const cross = await start(`${base}/redirect-cross`, {
      sha256,
      cacheDir: path.join(workDir, "cache-cross"),
    });
    await cross.close();
    expect(other.seen.at(-1)).toMatchObject({
      url: "/presigned/iris.onnx?X-Amz-Signature=abc",
      status: 200,
    });
    expect(other.seen.at(-1)!.authorization).toBeUndefined();
  });

  it("without a checksum, revalidates the cached file by ETag (304, no body)", async () => {
    const cacheDir = path.join(workDir, "cache-etag");
    await (await start(`${base}/artifacts/iris.onnx`, { cacheDir })).close();
    expect(main.seen.at(-1)!.status).toBe(200);
    await (await start(`${base}/artifacts/iris.onnx`, { cacheDir })).close();
    expect(main.seen.at(-1)!.status).toBe(304);
  });

  it("never repeats a URL's query (signatures) in errors", async () => {
    const error = await start(`${base}/artifacts/missing.onnx?X-Amz-Signature=very-secret`, {
      cacheDir: path.join(workDir, "cache-redact"),
    }).catch((e: unknown) => e);
    expect((error as Error).message).toContain(`${base}/artifacts/missing.onnx?…`);
    expect((error as Error).message).not.toContain("very-secret");
  });

  describe("the CLI", () => {
    type TRun = { child: ChildProcess; out: () => string; exit: Promise<number | null> };
    const run = (args: string[], env: Record<string, string | undefined> = {}): TRun => {
      const child = spawn(process.execPath, ["--import", "tsx", CLI, ...args], {
        env: { ...process.env, KUBESERVE_MODEL_TOKEN: undefined, ...env },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
      child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
      return {
        child,
        out: () => out,
        exit: new Promise((r) => child.on("exit", (code) => r(code))),
      };
    };

    it(
      "serves --model URL with the token from KUBESERVE_MODEL_TOKEN",
      { timeout: 60_000 },
      async () => {
        const cli = run(
          [
            "--model",
            `${base}/artifacts/iris.onnx`,
            "--sha256",
            sha256,
            "--port",
            "0",
            "--host",
            "127.0.0.1",
          ],
          {
            KUBESERVE_MODEL_TOKEN: TOKEN,
            KUBESERVE_MODEL_CACHE_DIR: path.join(workDir, "cache-cli"),
          },
        );
        try {
          for (let i = 0; i < 600 && !cli.out().includes('"msg":"model ready"'); i++) {
            await new Promise((r) => setTimeout(r, 50));
          }
          const url = /"url":"(http:[^"]+)"/.exec(cli.out())![1]!;
          expect((await postJson(`${url}/predict`, { instances: iris.inputs })).status).toBe(200);
          expect(cli.out()).not.toContain(TOKEN);
        } finally {
          cli.child.kill("SIGTERM");
          await cli.exit;
        }
      },
    );

    it("exits 1 naming the status when the token is refused", { timeout: 60_000 }, async () => {
      const cli = run(["--model", `${base}/artifacts/iris.onnx`, "--port", "0"], {
        KUBESERVE_MODEL_TOKEN: "stolen-or-revoked",
        KUBESERVE_MODEL_CACHE_DIR: path.join(workDir, "cache-cli-401"),
      });
      expect(await cli.exit).toBe(1);
      expect(cli.out()).toMatch(/HTTP 401/);
      expect(cli.out()).not.toContain("stolen-or-revoked");
    });

    it(
      "fetch writes a verified file, then finds it present without a request",
      { timeout: 60_000 },
      async () => {
        const out = path.join(workDir, "init", "model.onnx");
        const args = [
          "fetch",
          "--url",
          `${base}/artifacts/iris.onnx`,
          "--sha256",
          sha256,
          "--out",
          out,
        ];
        const first = run(args, { KUBESERVE_MODEL_TOKEN: TOKEN });
        expect(await first.exit).toBe(0);
        expect(readFileSync(out).equals(modelBytes)).toBe(true);
        expect(first.out()).toContain("model file fetched and verified");
        expect(first.out()).not.toContain(TOKEN);
        expect(filesUnder(path.dirname(out))).toEqual(["model.onnx"]);
        const requests = main.seen.length;
        const again = run(args, { KUBESERVE_MODEL_TOKEN: TOKEN });
        expect(await again.exit).toBe(0);
        expect(again.out()).toContain("already present and verified");
        expect(main.seen.length).toBe(requests);
      },
    );

    it.each([
      ["a wrong checksum", ["--sha256", "1".repeat(64)], TOKEN, /checksum mismatch/],
      ["no token", [], undefined, /HTTP 401/],
      ["a forbidden artifact", ["--url", "/artifacts/forbidden.onnx"], TOKEN, /HTTP 403/],
      ["a missing artifact", ["--url", "/artifacts/missing.onnx"], TOKEN, /HTTP 404/],
    ])(
      "fetch exits 1 for %s and leaves no file",
      { timeout: 60_000 },
      async (_what, extra, token, message) => {
        const out = path.join(
          workDir,
          `fetch-fail-${Math.random().toString(36).slice(2)}`,
          "model.onnx",
        );
        const options: Record<string, string> = {
          "--url": `${base}/artifacts/iris.onnx`,
          "--sha256": sha256,
          "--out": out,
        };
        for (let i = 0; i < extra.length; i += 2) {
          options[extra[i]!] = extra[i]! === "--url" ? `${base}${extra[i + 1]!}` : extra[i + 1]!;
        }
        const cli = run(["fetch", ...Object.entries(options).flat()], {
          KUBESERVE_MODEL_TOKEN: token,
        });
        expect(await cli.exit).toBe(1);
        expect(cli.out()).toMatch(message);
        expect(filesUnder(path.dirname(out))).toEqual([]);
      },
    );

    it.each([
      [["--url", "http://x/y", "--sha256", sha256]],
      [["--url", "http://x/y", "--sha256", "abc", "--out", "/tmp/x"]],
      [["--url", "file:///etc/passwd", "--sha256", sha256, "--out", "/tmp/x"]],
      [["--url", "http://x/y", "--sha256", sha256, "--out", "/tmp/x", "--token", "argv-is-public"]],
    ])("fetch exits 2 on bad arguments %j", { timeout: 60_000 }, async (args) => {
      const cli = run(["fetch", ...args]);
      expect(await cli.exit).toBe(2);
      expect(cli.out()).toMatch(/usage: kubeserve-inference fetch/);
    });
  });
});
