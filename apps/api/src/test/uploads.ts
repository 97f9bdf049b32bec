import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import path from "node:path";
import type { TArtifactStore } from "@kubeserve/storage";
import { startTestDriver, type TTestDriver } from "@kubeserve/storage/testing";
import onnxProto from "onnx-proto";
import type { TSignedUp } from "./harness";
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
