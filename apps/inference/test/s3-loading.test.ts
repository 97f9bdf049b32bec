import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Client } from "minio";
import { pino } from "pino";
import S3rver from "s3rver";
import { waitFor } from "@kubeserve/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ModelSourceError, startInferenceServer, type TInferenceServer } from "../src/index";
import { FIXTURES, postJson, readSamples, request } from "./helpers";

type TKoaContext = { method: string; url: string; status: number; body: string; type: string };

const iris = readSamples("iris-logreg");
const modelBytes = readFileSync(`${FIXTURES}iris-logreg.onnx`);
const sha256 = createHash("sha256").update(modelBytes).digest("hex");

describe("loading a model from S3 (s3rver)", () => {
  let s3: S3rver;
  let endpoint: string;
  let holdDownloads: Promise<void> | undefined;
  const workDir = mkdtempSync(path.join(tmpdir(), "kubeserve-s3-"));

  beforeAll(async () => {
    s3 = new S3rver({
      address: "127.0.0.1",
      port: 0,
      silent: true,
      directory: path.join(workDir, "s3"),
    });
    // minio lists multipart uploads before some uploads; s3rver does not implement that GET.
    const middleware = (s3 as unknown as { middleware: unknown[] }).middleware;
    middleware.unshift(async (ctx: TKoaContext, next: () => Promise<void>) => {
      if (ctx.method === "GET" && /[?&]uploads(=|&|$)/.test(ctx.url)) {
        ctx.status = 200;
        ctx.type = "application/xml";
        ctx.body = "<ListMultipartUploadsResult></ListMultipartUploadsResult>";
        return;
      }
      if (ctx.method === "GET" && holdDownloads && ctx.url.includes("slow.onnx")) {
        await holdDownloads;
      }
      await next();
    });
    const address = await s3.run();
    endpoint = `http://127.0.0.1:${address.port}`;
    const client = new Client({
      endPoint: "127.0.0.1",
      port: address.port,
      useSSL: false,
      accessKey: "S3RVER",
      secretKey: "S3RVER",
      region: "us-east-1",
      pathStyle: true,
    });
    await client.makeBucket("models", "us-east-1");
    await client.putObject("models", "iris/v1/model.onnx", modelBytes);
    await client.putObject("models", "iris/v1/slow.onnx", modelBytes);
  });
  afterAll(() => s3.close());

  const start = (key: string, extra: Record<string, unknown> = {}) =>
    startInferenceServer({
      model: `s3://models/${key}`,
      name: "iris",
      host: "127.0.0.1",
      port: 0,
      cacheDir: path.join(workDir, "cache"),
      s3Endpoint: endpoint,
      s3AccessKey: "S3RVER",
      s3SecretKey: "S3RVER",
      logger: pino({ level: "silent" }),
      ...extra,
    });

  it("downloads into the cache, verifies the checksum and serves", async () => {
    const server = await start("iris/v1/model.onnx", { sha256 });
    try {
      const reply = await postJson(`${server.url}/predict`, { instances: iris.inputs });
      expect(reply.status).toBe(200);
      const cached = readFileSync(path.join(workDir, "cache", "models", "iris/v1/model.onnx"));
      expect(cached.equals(modelBytes)).toBe(true);
    } finally {
      await server.close();
    }
  });

  it("reuses the verified cached file without contacting S3", async () => {
    const server = await start("iris/v1/model.onnx", {
      sha256,
      s3Endpoint: "http://127.0.0.1:9",
    });
    await server.close();
  });

  it("refuses a model whose checksum does not match", async () => {
    const wrong = "0".repeat(64);
    await expect(
      start("iris/v1/model.onnx", { sha256: wrong, cacheDir: path.join(workDir, "cache2") }),
    ).rejects.toThrow(/checksum mismatch .* expected sha256 0{64}/);
  });

  it("fails clearly for a missing object", async () => {
    const error = await start("iris/v1/missing.onnx").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelSourceError);
    expect((error as Error).message).toContain("s3://models/iris/v1/missing.onnx");
  });

  it("is live but not ready (503) while the model downloads, then ready", async () => {
    let release!: () => void;
    holdDownloads = new Promise((resolve) => (release = resolve));
    let isStarted = false;
    let listeningUrl: string | undefined;
    const starting = start("iris/v1/slow.onnx", {
      onListening: (url: string) => (listeningUrl = url),
    }).then((s) => {
      isStarted = true;
      return s;
    });
    // The server listens before it loads, so probes work while the download is held.
    const url = await waitFor(() => listeningUrl, { what: "the listening line", intervalMs: 10 });
    expect((await request(`${url}/v2/health/live`)).status).toBe(200);
    expect((await request(`${url}/v2/health/ready`)).status).toBe(503);
    expect((await request(`${url}/v2/models/iris/ready`)).status).toBe(503);
    const infer = await postJson(`${url}/v2/models/iris/infer`, {
      inputs: [{ name: "input", shape: [1, 4], datatype: "FP32", data: iris.inputs[0] }],
    });
    expect(infer.status).toBe(503);
    expect((infer.body as { error: string }).error).toContain("not ready");
    expect(isStarted).toBe(false);
    release();
    holdDownloads = undefined;
    const server: TInferenceServer = await starting;
    expect((await request(`${server.url}/v2/health/ready`)).status).toBe(200);
    await server.close();
  });
});
