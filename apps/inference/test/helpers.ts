import { mkdtempSync, readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import { startInferenceServer, type TInferenceServer, type TStartOptions } from "../src/index";
import { writeSlowModel } from "./onnx-builder";

export const FIXTURES = fileURLToPath(new URL("./fixtures/", import.meta.url));

export type TSamples = {
  model: string;
  input_name: string;
  input_shape: [number, number];
  inputs: number[][];
  predict: number[];
  predict_proba?: number[][];
};

export function readSamples(model: string): TSamples {
  return JSON.parse(readFileSync(`${FIXTURES}${model}.samples.json`, "utf8")) as TSamples;
}

export function startFixture(
  model: string,
  options: Partial<TStartOptions> = {},
): Promise<TInferenceServer> {
  return startInferenceServer({
    model: `${FIXTURES}${model}.onnx`,
    host: "127.0.0.1",
    port: 0,
    logger: pino({ level: "silent" }),
    ...options,
  });
}

export type TReply = { status: number; headers: Headers; body: unknown; text: string };

export async function request(
  url: string,
  init: { method?: string; body?: string | Uint8Array; headers?: Record<string, string> } = {},
): Promise<TReply> {
  const res = await fetch(url, {
    method: init.method ?? (init.body === undefined ? "GET" : "POST"),
    headers: { "content-type": "application/json", ...init.headers },
    ...(init.body === undefined ? {} : { body: init.body }),
  });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, headers: res.headers, body, text };
}

/** POST over node:http: much cheaper than fetch for megabyte bodies sent from the test process. */
export function postRaw(
  url: string,
  body: string | Buffer,
  headers: Record<string, string> = { "content-type": "application/json" },
): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: "POST", headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          text: Buffer.concat(chunks).toString("utf8"),
        }),
      );
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

export function postJson(url: string, body: unknown): Promise<TReply> {
  return request(url, { body: JSON.stringify(body) });
}

export type TV2Output = { name: string; datatype: string; shape: number[]; data: unknown[] };

export function expectClose(actual: number[], expected: number[], tolerance = 1e-4): void {
  if (actual.length !== expected.length) {
    throw new Error(`length ${actual.length} != ${expected.length}`);
  }
  actual.forEach((a, i) => {
    if (!(Math.abs(a - expected[i]!) <= tolerance)) {
      throw new Error(`element ${i}: ${a} differs from ${expected[i]} by more than ${tolerance}`);
    }
  });
}

/** Binary tensor extension body: JSON header, then the inputs' raw bytes. */
export function encodeBinaryRequest(header: unknown, parts: Uint8Array[]) {
  const json = Buffer.from(JSON.stringify(header));
  return {
    body: Buffer.concat([json, ...parts]),
    headers: {
      "content-type": "application/octet-stream",
      "inference-header-content-length": String(json.length),
    },
  };
}

/** Splits a binary tensor extension response into its JSON header and output bytes. */
export async function decodeBinaryResponse(res: Response) {
  const raw = Buffer.from(await res.arrayBuffer());
  const headerLength = Number(res.headers.get("inference-header-content-length"));
  const header = JSON.parse(raw.subarray(0, headerLength).toString("utf8")) as {
    outputs: {
      name: string;
      datatype: string;
      shape: number[];
      parameters?: { binary_data_size?: number };
      data?: unknown[];
    }[];
    id?: string;
  };
  let offset = headerLength;
  const bytes = new Map<string, Buffer>();
  for (const output of header.outputs) {
    const size = output.parameters?.binary_data_size;
    if (size === undefined) continue;
    bytes.set(output.name, raw.subarray(offset, offset + size));
    offset += size;
  }
  return { header, bytes, totalLength: raw.length, offset };
}

export function toFloat32(bytes: Buffer): number[] {
  const copy = new Uint8Array(bytes);
  return Array.from(new Float32Array(copy.buffer));
}

export function toBigInt64(bytes: Buffer): number[] {
  const copy = new Uint8Array(bytes);
  return Array.from(new BigInt64Array(copy.buffer), Number);
}

export type TLogLine = { level: number; msg: string; droppedQueued?: number; awaitedRun?: boolean };

/** The slow test model with 1024 rows: a 16 KB body that keeps the session busy ~0.3 s. */
export function slowModelRequest() {
  const rows = 1024;
  const data = new Float32Array(rows * 4).map((_, i) => Math.sin(i));
  return encodeBinaryRequest(
    {
      inputs: [
        {
          name: "x",
          shape: [rows, 4],
          datatype: "FP32",
          parameters: { binary_data_size: data.byteLength },
        },
      ],
    },
    [new Uint8Array(data.buffer)],
  );
}

export function writeSlowModelFile(): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), "kubeserve-slow-")), "slow.onnx");
  writeSlowModel(file);
  return file;
}
