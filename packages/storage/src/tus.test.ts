import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { Server } from "@tus/server";
import * as tus from "tus-js-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StorageError, StorageKeyError, StorageNotFoundError } from "./errors";
import { generatedStream, sha256OfGenerated, startTestDriver, type TTestDriver } from "./testing";
import { createTusDataStore, createUploadId, type TTusDataStore } from "./tus";
import type { TPutResult } from "./types";

const MiB = 1024 * 1024;
const BIG = 300 * MiB;
const TUS = { "Tus-Resumable": "1.0.0" };

type TMounted = {
  url: string;
  datastore: TTusDataStore;
  finished: Map<string, TPutResult>;
  close: () => Promise<void>;
};

/** @tus/server on a bare node:http server; finished uploads move to models/u/m/v1/<filename>. */
async function mount(
  datastore: TTusDataStore,
  options: { isFinishing?: boolean } = {},
): Promise<TMounted> {
  const finished = new Map<string, TPutResult>();
  const tusServer = new Server({
    path: "/files",
    datastore,
    namingFunction: () => createUploadId(),
    onUploadFinish: async (_req, upload) => {
      if (options.isFinishing !== false) {
        const filename = upload.metadata?.filename ?? "model.onnx";
        finished.set(
          upload.id,
          await datastore.finishTusUpload(upload.id, `models/u/m/v1/${filename}`),
        );
      }
      return {};
    },
  });
  const http: HttpServer = createServer((req, res) => void tusServer.handle(req, res));
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/files`,
    datastore,
    finished,
    close: () =>
      new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      }),
  };
}

function upload(
  file: string,
  options: tus.UploadOptions,
): { done: Promise<string>; handle: tus.Upload } {
  let handle!: tus.Upload;
  const done = new Promise<string>((resolve, reject) => {
    handle = new tus.Upload(createReadStream(file), {
      retryDelays: null,
      ...options,
      onSuccess: () => resolve(handle.url!),
      onError: reject,
    });
    handle.start();
  });
  return { done, handle };
}

async function headOffset(url: string): Promise<{ status: number; offset: number }> {
  const res = await fetch(url, { method: "HEAD", headers: TUS });
  return { status: res.status, offset: Number(res.headers.get("upload-offset")) };
}

async function createRaw(endpoint: string, length: number): Promise<string> {
  const res = await fetch(endpoint, {
    method: "POST",
    headers: { ...TUS, "Upload-Length": String(length) },
  });
  expect(res.status).toBe(201);
  return new URL(res.headers.get("location")!, endpoint).href;
}

async function patchRaw(url: string, offset: number, body: Buffer): Promise<Response> {
  return fetch(url, {
    method: "PATCH",
    headers: {
      ...TUS,
      "Upload-Offset": String(offset),
      "Content-Type": "application/offset+octet-stream",
    },
    body,
  });
}

let workDir: string;
let bigFile: string;
let bigSha256: string;

beforeAll(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), "kubeserve-tus-"));
  bigFile = path.join(workDir, "big.onnx");
  await pipeline(generatedStream(BIG, 5), createWriteStream(bigFile));
  bigSha256 = await sha256OfGenerated(BIG, 5);
});
afterAll(() => rm(workDir, { recursive: true, force: true }));

describe.each(["fs", "s3"] as const)("%s tus uploads", (name) => {
  let driver: TTestDriver;

  beforeAll(async () => {
    driver = await startTestDriver(name);
    const datastore = createTusDataStore(driver.config, { expirationPeriodInMilliseconds: 0 });
    await datastore.artifacts.ensureReady();
  });
  afterAll(() => driver.stop());

  /** What is left under uploads/ (and, on S3, unfinished multipart uploads) for these upload ids. */
  async function uploadsLeft(datastore: TTusDataStore, ...urls: string[]): Promise<string[]> {
    const ids = urls.map((url) => url.split("/").pop()!);
    const keys: string[] = [];
    for await (const object of datastore.artifacts.list("uploads/")) keys.push(object.key);
    if (name === "s3") {
      const dir = path.join(driver.s3!.directory, "kubeserve-test", "._S3rver_uploads");
      for (const uploadId of await readdir(dir).catch(() => [])) {
        const key = await readFile(path.join(dir, uploadId, "key"), "utf8").catch(() => "?");
        keys.push(`multipart:${key}`);
      }
    }
    return keys.filter((key) => ids.some((id) => key.includes(id)));
  }

  it("finishes a small upload at its final key with the upload's bookkeeping gone", async () => {
    const tusServer = await mount(
      createTusDataStore(driver.config, { expirationPeriodInMilliseconds: 86_400_000 }),
    );
    try {
      const file = path.join(workDir, `small-${name}.onnx`);
      await pipeline(generatedStream(3 * MiB + 17, 9), createWriteStream(file));
      const url = await upload(file, {
        endpoint: tusServer.url,
        metadata: { filename: "small.onnx" },
        chunkSize: MiB,
      }).done;
      const id = url.split("/").pop()!;
      expect(id).toMatch(/^[0-9a-f]{32}$/); // random, and not the storage key
      const result = tusServer.finished.get(id);
      expect(result).toMatchObject({
        key: "models/u/m/v1/small.onnx",
        size: 3 * MiB + 17,
        sha256: await sha256OfGenerated(3 * MiB + 17, 9),
      });
      expect((await tusServer.datastore.artifacts.stat("models/u/m/v1/small.onnx"))?.size).toBe(
        3 * MiB + 17,
      );
      expect(await uploadsLeft(tusServer.datastore, url)).toEqual([]);
      expect((await headOffset(url)).status).toBe(404);
    } finally {
      await tusServer.close();
    }
  });

  it("resumes a 300 MB upload interrupted at ~40% from the server's offset, after a restart", async () => {
    let first = await mount(
      createTusDataStore(driver.config, { expirationPeriodInMilliseconds: 86_400_000 }),
    );
    let acknowledged = 0;
    const interrupted = upload(bigFile, {
      endpoint: first.url,
      chunkSize: 50 * MiB,
      metadata: { filename: "big.onnx" },
      onChunkComplete: (_size, accepted) => (acknowledged = accepted),
      onProgress: (sent) => {
        if (sent >= 0.4 * BIG) void interrupted.handle.abort();
      },
    });
    // abort() neither resolves nor rejects the upload; wait until the server has settled.
    for (let i = 0; i < 600 && acknowledged < 100 * MiB; i++)
      await new Promise((r) => setTimeout(r, 50));
    for (let i = 0; i < 600 && !interrupted.handle.url; i++)
      await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 500));
    const url = interrupted.handle.url!;
    const before = await headOffset(url);
    expect(before.status).toBe(200);
    expect(before.offset).toBeGreaterThanOrEqual(acknowledged);
    expect(acknowledged).toBeGreaterThanOrEqual(100 * MiB);
    expect(before.offset).toBeLessThan(0.6 * BIG);
    console.log(
      `[${name}] interrupted: acknowledged ${acknowledged / MiB} MiB, server offset ${(before.offset / MiB).toFixed(1)} MiB`,
    );

    // The API restarts: a new server and a new data store (no in-memory state survives).
    await first.close();
    first = await mount(
      createTusDataStore(driver.config, { expirationPeriodInMilliseconds: 86_400_000 }),
    );
    try {
      const resumedUrl = `${first.url}/${url.split("/").pop()!}`;
      expect((await headOffset(resumedUrl)).offset).toBe(before.offset);
      let firstPatchOffset: number | undefined;
      const resumed = upload(bigFile, {
        uploadUrl: resumedUrl,
        chunkSize: 50 * MiB,
        metadata: { filename: "big.onnx" },
        onBeforeRequest: (req) => {
          if (req.getMethod() === "PATCH")
            firstPatchOffset ??= Number(req.getHeader("Upload-Offset"));
        },
      });
      await resumed.done;
      expect(firstPatchOffset).toBe(before.offset);
      const id = url.split("/").pop()!;
      expect(first.finished.get(id)).toMatchObject({
        key: "models/u/m/v1/big.onnx",
        size: BIG,
        sha256: bigSha256,
      });
      expect(await uploadsLeft(first.datastore, url)).toEqual([]);
    } finally {
      await first.close();
    }
  });

  it("expires incomplete uploads: 410 to the client, removed with their parts", async () => {
    // Long enough that a loaded machine still makes the first check inside the period.
    const expiration = 5000;
    const datastore = createTusDataStore(driver.config, {
      expirationPeriodInMilliseconds: expiration,
    });
    const tusServer = await mount(datastore, { isFinishing: false });
    try {
      // one full 6 MiB part (S3: a multipart part) and a 1 MiB tail (S3: the .part object)
      const incomplete = await createRaw(tusServer.url, 20 * MiB);
      expect((await patchRaw(incomplete, 0, Buffer.alloc(6 * MiB, 1))).status).toBe(204);
      expect((await patchRaw(incomplete, 6 * MiB, Buffer.alloc(MiB, 2))).status).toBe(204);
      expect((await headOffset(incomplete)).offset).toBe(7 * MiB);
      // a finished upload nobody moved (the API stopped before its hook ran)
      const orphan = await createRaw(tusServer.url, 4);
      expect((await patchRaw(orphan, 0, Buffer.from("done"))).status).toBe(204);
      const keys = await uploadsLeft(datastore, incomplete, orphan);
      // fs: two files and two .json; s3: two objects... plus the multipart upload and its .part
      expect(keys.length).toBeGreaterThanOrEqual(name === "s3" ? 5 : 4);

      expect(await datastore.cleanUpExpired()).toBe(0); // nothing is old yet
      await new Promise((r) => setTimeout(r, expiration + 1000));
      expect((await patchRaw(incomplete, 7 * MiB, Buffer.alloc(10, 3))).status).toBe(410);
      expect(await datastore.cleanUpExpired()).toBe(2);
      expect(await uploadsLeft(datastore, incomplete, orphan)).toEqual([]);
      expect((await headOffset(incomplete)).status).toBe(404);
    } finally {
      await tusServer.close();
    }
  });

  it("terminates an upload on DELETE, parts and all", async () => {
    const datastore = createTusDataStore(driver.config, {
      expirationPeriodInMilliseconds: 86_400_000,
    });
    const tusServer = await mount(datastore);
    try {
      const url = await createRaw(tusServer.url, 20 * MiB);
      expect((await patchRaw(url, 0, Buffer.alloc(6 * MiB, 1))).status).toBe(204);
      expect((await uploadsLeft(datastore, url)).length).toBeGreaterThan(0);
      const res = await fetch(url, { method: "DELETE", headers: TUS });
      expect(res.status).toBe(204);
      expect(await uploadsLeft(datastore, url)).toEqual([]);
    } finally {
      await tusServer.close();
    }
  });

  it("finishTusUpload refuses incomplete, unknown and malformed uploads", async () => {
    const datastore = createTusDataStore(driver.config, {
      expirationPeriodInMilliseconds: 86_400_000,
    });
    const tusServer = await mount(datastore, { isFinishing: false });
    try {
      const url = await createRaw(tusServer.url, 10);
      expect((await patchRaw(url, 0, Buffer.from("half"))).status).toBe(204);
      const id = url.split("/").pop()!;
      await expect(datastore.finishTusUpload(id, "models/u/m/v9/x.onnx")).rejects.toThrow(
        /not complete: 4 of 10 bytes/,
      );
      await expect(
        datastore.finishTusUpload(createUploadId(), "models/u/m/v9/x.onnx"),
      ).rejects.toThrow(StorageNotFoundError);
      await expect(
        datastore.finishTusUpload("../../etc/passwd", "models/u/m/v9/x.onnx"),
      ).rejects.toThrow(StorageKeyError);
      await expect(datastore.finishTusUpload(id, "../outside")).rejects.toThrow(StorageKeyError);
      expect((await patchRaw(url, 4, Buffer.from("finish"))).status).toBe(204);
      const result = await datastore.finishTusUpload(id, "models/u/m/v9/x.onnx");
      expect(result).toMatchObject({ size: 10 });
      expect(result.sha256).toBe(
        (await import("node:crypto")).createHash("sha256").update("halffinish").digest("hex"),
      );
      await expect(datastore.finishTusUpload(id, "models/u/m/v9/x.onnx")).rejects.toThrow(
        StorageError,
      );
    } finally {
      await tusServer.close();
    }
  });
});
