import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import path from "node:path";
import type { TArtifactStore } from "@kubeserve/storage";
import { startTestDriver, type TTestDriver } from "@kubeserve/storage/testing";
import onnxProto from "onnx-proto";
import { afterAll, beforeAll } from "vitest";
import {
  createHarness,
  startHttp,
  type THarness,
  type THttpServer,
  type TSignedUp,
} from "./harness";
import { recordErrorText } from "./leak-guard";

// Shared by the upload suites: fixtures, a version to upload into, and raw HTTP for bodies that lie.

export const FIXTURES_DIR = "/work/shared/fixtures";
export const ONNX_FIXTURES = ["iris-logreg", "mlp-64", "mlp-wide", "regression"];

export function fixture(name: string): Buffer {
  return readFileSync(path.join(FIXTURES_DIR, name));
}

export function sha256(data: Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

let versionCounter = 0;

/** A fresh model with one version in `pending_upload`. */
export async function createVersion(user: TSignedUp, framework: "onnx" | "sklearn" = "onnx") {
  const n = ++versionCounter;
  const model = await user.api.model.create({ name: `m${process.pid}-${n}` });
  return user.api.version.create({ modelId: model.id, tag: "v1", framework });
}

/** Environment overrides that point the API at a test driver's store. */
export function storageEnv(driver: TTestDriver): Record<string, string> {
  if (driver.config.driver === "fs") return { STORAGE_FS_DIR: driver.config.dir };
  const c = driver.config;
  return {
    STORAGE_DRIVER: "s3",
    S3_ENDPOINT: c.endpoint,
    S3_ACCESS_KEY: c.accessKey,
    S3_SECRET_KEY: c.secretKey,
    S3_BUCKET: c.bucket,
  };
}

export { startTestDriver };

export type TUploadSuite = {
  driver: TTestDriver;
  h: THarness;
  server: THttpServer;
  alice: TSignedUp;
  /** Signed up only when the suite asks for bob. */
  bob: TSignedUp;
};

/**
 * Registers the suite's hooks: a store on `driverName`, a PostgreSQL harness pointed at it (plus `env`),
 * real HTTP, and alice (and bob) signed up. The fields are filled in by beforeAll.
 */
export function useUploadSuite(
  driverName: "fs" | "s3",
  options: { env?: Record<string, string>; hasBob?: boolean } = {},
): TUploadSuite {
  const suite = {} as TUploadSuite;
  beforeAll(async () => {
    suite.driver = await startTestDriver(driverName);
    suite.h = await createHarness("postgres", { ...storageEnv(suite.driver), ...options.env });
    await suite.h.deps.storage.ensureReady();
    suite.server = await startHttp(suite.h);
    suite.alice = await suite.h.signUp("alice");
    if (options.hasBob) suite.bob = await suite.h.signUp("bob");
  });
  afterAll(async () => {
    await suite.server?.close();
    await suite.h?.destroy();
    await suite.driver?.stop();
  });
  return suite;
}

export async function listKeys(store: TArtifactStore, prefix = "models/"): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of store.list(prefix)) keys.push(object.key);
  return keys;
}

export type TRawResponse = { status: number; body: string; headers: Record<string, unknown> };

/**
 * A request whose body is written by `write` (which may stall, lie about its length or stop): resolves
 * with the response, or with status 0 when the connection ended without one.
 */
export function rawRequest(
  url: string,
  options: {
    method: string;
    headers: Record<string, string>;
    write: (req: ReturnType<typeof httpRequest>) => void | Promise<void>;
  },
): Promise<TRawResponse> {
  return new Promise((resolve) => {
    const req = httpRequest(url, { method: options.method, headers: options.headers });
    req.on("response", (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => {
        if ((res.statusCode ?? 0) >= 400) recordErrorText(`raw ${url}`, body);
        resolve({ status: res.statusCode ?? 0, body, headers: res.headers });
      });
      res.on("error", () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on("error", () => resolve({ status: 0, body: "", headers: {} }));
    void Promise.resolve(options.write(req)).catch(() => req.destroy());
  });
}

export function authHeaders(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/** The one-shot upload: the whole file as the body of a PUT. */
export function putArtifact(
  serverUrl: string,
  token: string,
  versionId: string,
  filename: string,
  body: Buffer,
): Promise<Response> {
  return fetch(
    `${serverUrl}/api/v1/versions/${versionId}/artifact?filename=${encodeURIComponent(filename)}`,
    {
      method: "PUT",
      headers: { ...authHeaders(token), "content-type": "application/octet-stream" },
      body,
    },
  );
}

export const tusHeaders = { "tus-resumable": "1.0.0" };

/** Upload-Metadata as tus writes it: `key base64(value)` pairs, comma-separated. */
export function encodeTusMetadata(fields: Record<string, string>): string {
  return Object.entries(fields)
    .map(([k, v]) => `${k} ${Buffer.from(v).toString("base64")}`)
    .join(",");
}

/** POSTs a tus creation for `versionId`; `token` undefined sends no credential. */
export function createTusUpload(
  serverUrl: string,
  token: string | undefined,
  upload: { versionId: string; length: number; filename?: string },
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${serverUrl}/api/v1/uploads`, {
    method: "POST",
    headers: {
      ...tusHeaders,
      ...(token ? authHeaders(token) : {}),
      "upload-length": String(upload.length),
      "upload-metadata": encodeTusMetadata({
        versionId: upload.versionId,
        filename: upload.filename ?? "m.onnx",
      }),
      ...headers,
    },
  });
}

/** The absolute URL of the upload a tus creation answered with. */
export function tusLocation(serverUrl: string, created: Response): string {
  return new URL(created.headers.get("location")!, `${serverUrl}/api/v1/uploads`).href;
}

/** PATCHes `body` at `offset` of the upload at `location`. */
export function patchTusUpload(
  location: string,
  token: string,
  offset: number,
  body: Buffer,
): Promise<Response> {
  return fetch(location, {
    method: "PATCH",
    headers: {
      ...tusHeaders,
      ...authHeaders(token),
      "content-type": "application/offset+octet-stream",
      "upload-offset": String(offset),
    },
    body,
  });
}

/** HEAD of the upload at `location`, where the server says how many bytes it holds. */
export function headTusUpload(location: string, token: string): Promise<Response> {
  return fetch(location, { method: "HEAD", headers: { ...tusHeaders, ...authHeaders(token) } });
}

const { onnx } = onnxProto;

/** iris-logreg with one initializer pointed at a file on the server, as a hostile model would be. */
export function externalDataModel(): Buffer {
  const model = onnx.ModelProto.decode(fixture("iris-logreg.onnx"));
  const tensor = model.graph?.initializer?.[0];
  if (!tensor) throw new Error("fixture has no initializer");
  tensor.rawData = new Uint8Array();
  tensor.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
  tensor.externalData = [
    onnx.StringStringEntryProto.create({ key: "location", value: "/etc/passwd" }),
  ];
  return Buffer.from(onnx.ModelProto.encode(model).finish());
}

/** iris-logreg whose first node is an operator of a custom domain. */
export function customDomainModel(): Buffer {
  const model = onnx.ModelProto.decode(fixture("iris-logreg.onnx"));
  const node = model.graph?.node?.[0];
  if (!node) throw new Error("fixture has no node");
  node.domain = "com.example.custom";
  model.opsetImport.push(
    onnx.OperatorSetIdProto.create({ domain: "com.example.custom", version: 1 }),
  );
  return Buffer.from(onnx.ModelProto.encode(model).finish());
}
