import { createHash } from "node:crypto";
import { truncate } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createArtifactStore } from "./create-store";
import {
  StorageError,
  StorageKeyError,
  StorageNotFoundError,
  StorageRangeError,
  StorageUnavailableError,
} from "./errors";
import { startTestDriver, type TTestDriver } from "./testing";
import type { TArtifactStore } from "./types";

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");
const bodyOf = (data: Buffer | string) => Readable.from([Buffer.from(data)]);

async function listKeys(store: TArtifactStore, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of store.list(prefix)) keys.push(object.key);
  return keys;
}

describe.each(["fs", "s3"] as const)("%s artifact store", (name) => {
  let driver: TTestDriver;
  let store: TArtifactStore;

  beforeAll(async () => {
    driver = await startTestDriver(name);
    store = createArtifactStore(driver.config);
    await store.ensureReady();
  });
  afterAll(() => driver.stop());

  it("is ready after ensureReady (twice is fine) and answers ping", async () => {
    await store.ensureReady();
    await expect(store.ping()).resolves.toBeUndefined();
    expect(store.driver).toBe(name);
    expect(store.describe()).toMatch(
      name === "fs" ? /^fs:\// : /^s3:http:\/\/127\.0\.0\.1:\d+\/kubeserve-test$/,
    );
  });

  it("puts, stats and gets an object with size and sha256 computed on the way", async () => {
    const data = Buffer.from("onnx bytes ".repeat(1000));
    const put = await store.put("models/u1/iris/v1/model.onnx", bodyOf(data), {
      size: data.length,
    });
    expect(put).toMatchObject({
      key: "models/u1/iris/v1/model.onnx",
      size: data.length,
      sha256: sha256(data),
    });
    const info = await store.stat("models/u1/iris/v1/model.onnx");
    expect(info).toMatchObject({ size: data.length, etag: put.etag });
    expect(info!.lastModified.getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(await store.exists("models/u1/iris/v1/model.onnx")).toBe(true);
    const got = await store.get("models/u1/iris/v1/model.onnx");
    expect(got).toMatchObject({
      size: data.length,
      start: 0,
      end: data.length - 1,
      contentLength: data.length,
      etag: put.etag,
    });
    expect((await readAll(got.body)).equals(data)).toBe(true);
  });

  it("serves byte ranges (inclusive, end clamped) and refuses ranges outside the object", async () => {
    const data = Buffer.from("0123456789");
    await store.put("models/u1/iris/v1/range.bin", bodyOf(data));
    const read = async (start?: number, end?: number) => {
      const got = await store.get("models/u1/iris/v1/range.bin", { start, end });
      return { text: (await readAll(got.body)).toString(), got };
    };
    expect((await read(2, 4)).text).toBe("234");
    expect((await read(7)).text).toBe("789");
    expect((await read(undefined, 1)).text).toBe("01");
    const clamped = await read(8, 100);
    expect(clamped.text).toBe("89");
    expect(clamped.got).toMatchObject({ start: 8, end: 9, contentLength: 2, size: 10 });
    for (const [start, end] of [
      [10, 12],
      [5, 4],
      [-1, 3],
    ] as const) {
      const error = await store
        .get("models/u1/iris/v1/range.bin", { start, end })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StorageRangeError);
      expect((error as StorageRangeError).size).toBe(10);
    }
  });

  it("stores an empty object", async () => {
    const put = await store.put("models/u1/iris/v1/empty.bin", Readable.from([]), { size: 0 });
    expect(put.size).toBe(0);
    expect(put.sha256).toBe(sha256(Buffer.alloc(0)));
    const got = await store.get("models/u1/iris/v1/empty.bin");
    expect(got.contentLength).toBe(0);
    expect((await readAll(got.body)).length).toBe(0);
    await expect(store.get("models/u1/iris/v1/empty.bin", { start: 0 })).rejects.toThrow(
      StorageRangeError,
    );
  });

  it("replaces an object whole on a second put", async () => {
    await store.put("models/u1/iris/v2/model.onnx", bodyOf("first version"));
    await store.put("models/u1/iris/v2/model.onnx", bodyOf("second"));
    const got = await store.get("models/u1/iris/v2/model.onnx");
    expect((await readAll(got.body)).toString()).toBe("second");
  });

  it("deletes idempotently; a missing object is NotFound on get and undefined on stat", async () => {
    await store.put("models/u1/iris/v3/model.onnx", bodyOf("x"));
    await store.delete("models/u1/iris/v3/model.onnx");
    await store.delete("models/u1/iris/v3/model.onnx");
    expect(await store.stat("models/u1/iris/v3/model.onnx")).toBeUndefined();
    expect(await store.exists("models/u1/iris/v3/model.onnx")).toBe(false);
    const error = await store.get("models/u1/iris/v3/model.onnx").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageNotFoundError);
    expect((error as StorageNotFoundError).key).toBe("models/u1/iris/v3/model.onnx");
  });

  it("lists by prefix as an async iterable, whole segments or partial names", async () => {
    for (const key of [
      "models/u2/a/v1/m.onnx",
      "models/u2/a/v2/m.onnx",
      "models/u2/b/v1/m.onnx",
      "models/u3/a/v1/m.onnx",
    ]) {
      await store.put(key, bodyOf(key));
    }
    expect(await listKeys(store, "models/u2/")).toEqual([
      "models/u2/a/v1/m.onnx",
      "models/u2/a/v2/m.onnx",
      "models/u2/b/v1/m.onnx",
    ]);
    expect(await listKeys(store, "models/u2/a/v")).toEqual([
      "models/u2/a/v1/m.onnx",
      "models/u2/a/v2/m.onnx",
    ]);
    expect(await listKeys(store, "models/u9/")).toEqual([]);
    expect(await listKeys(store, "")).toContain("models/u3/a/v1/m.onnx");
    const first = (await listKeys(store, "models/u3/"))[0];
    expect(first).toBe("models/u3/a/v1/m.onnx");
    for await (const info of store.list("models/u3/")) {
      expect(info).toMatchObject({
        key: "models/u3/a/v1/m.onnx",
        size: "models/u3/a/v1/m.onnx".length,
      });
    }
  });

  it("moves an object, replacing the destination", async () => {
    await store.put("uploads/0123456789abcdef0123456789abcdef", bodyOf("moved bytes"));
    await store.put("models/u4/a/v1/m.onnx", bodyOf("old"));
    await store.move("uploads/0123456789abcdef0123456789abcdef", "models/u4/a/v1/m.onnx");
    expect(await store.exists("uploads/0123456789abcdef0123456789abcdef")).toBe(false);
    expect((await readAll((await store.get("models/u4/a/v1/m.onnx")).body)).toString()).toBe(
      "moved bytes",
    );
    await expect(store.move("models/u4/a/v1/missing", "models/u4/a/v1/x")).rejects.toThrow(
      StorageNotFoundError,
    );
  });

  it("presigns GET URLs on S3 only, with a bounded lifetime", async () => {
    await store.put("models/u5/a/v1/m.onnx", bodyOf("presigned"));
    const url = await store.presignGet("models/u5/a/v1/m.onnx", 60);
    if (name === "fs") {
      expect(url).toBeUndefined();
      return;
    }
    expect(url).toMatch(/X-Amz-Signature=/);
    const res = await fetch(url!);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("presigned");
    const shortLived = await store.presignGet("models/u5/a/v1/m.onnx", 1);
    await new Promise((r) => setTimeout(r, 2100));
    const expired = await fetch(shortLived!);
    expect(expired.status).toBe(403);
    expect(await expired.text()).toMatch(/expired/i);
    await expect(store.presignGet("models/u5/a/v1/m.onnx", 0)).rejects.toThrow(/lifetime/);
    await expect(store.presignGet("models/u5/a/v1/m.onnx", 8 * 24 * 3600)).rejects.toThrow(
      /lifetime/,
    );
  });

  it.runIf(name === "s3")(
    "creates a missing bucket in ensureReady; ping fails until then",
    async () => {
      const fresh = createArtifactStore({ ...driver.s3!.storageConfig("fresh-bucket") });
      await expect(fresh.ping()).rejects.toThrow(/bucket fresh-bucket does not exist/);
      await fresh.ensureReady();
      await fresh.ping();
    },
  );

  it.runIf(name === "s3")(
    "refuses clearly to move an object over the 5 GiB copy limit",
    async () => {
      await store.put("uploads/ffffffffffffffffffffffffffffffff", bodyOf("x"));
      // Grow s3rver's stored file in place (sparse) so the server reports 5 GiB + 1 bytes.
      const stored = path.join(
        driver.s3!.directory,
        "kubeserve-test",
        "uploads",
        "ffffffffffffffffffffffffffffffff._S3rver_object",
      );
      await truncate(stored, 5 * 1024 ** 3 + 1);
      expect((await store.stat("uploads/ffffffffffffffffffffffffffffffff"))?.size).toBe(
        5 * 1024 ** 3 + 1,
      );
      const error = await store
        .move("uploads/ffffffffffffffffffffffffffffffff", "models/u9/a/v1/m.onnx")
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StorageError);
      expect((error as Error).message).toMatch(
        /5368709121 bytes is over the 5 GiB limit of one S3 server-side copy/,
      );
      expect(await store.exists("models/u9/a/v1/m.onnx")).toBe(false);
      await store.delete("uploads/ffffffffffffffffffffffffffffffff");
    },
  );

  const badKeys = [
    "../escape",
    "models/../../etc/passwd",
    "/etc/passwd",
    "models//x",
    "models/./x",
    ".tmp/x",
    "models\\x",
    "models/a\u0000b",
    "models/a\nb",
    "",
  ];

  it.each(badKeys)("refuses key %j in every operation", async (key) => {
    const ops: [string, () => Promise<unknown>][] = [
      ["put", () => store.put(key, bodyOf("x"))],
      ["get", () => store.get(key)],
      ["stat", () => store.stat(key)],
      ["exists", () => store.exists(key)],
      ["delete", () => store.delete(key)],
      ["move from", () => store.move(key, "models/u6/a/v1/m")],
      ["move to", () => store.move("models/u1/iris/v1/model.onnx", key)],
      ["presignGet", () => store.presignGet(key, 60)],
    ];
    for (const [op, run] of ops) {
      const error = await run().catch((e: unknown) => e);
      expect(error, op).toBeInstanceOf(StorageKeyError);
    }
    // the object named in "move to" is untouched
    expect(await store.exists("models/u1/iris/v1/model.onnx")).toBe(true);
  });

  it("refuses list prefixes that traverse", async () => {
    for (const prefix of ["../", "/abs/", "models/../", "models//"]) {
      await expect(listKeys(store, prefix)).rejects.toThrow(StorageKeyError);
    }
  });

  it("reports an unreachable store as StorageUnavailableError, and recovers", async () => {
    await driver.outage();
    try {
      await expect(store.ping()).rejects.toThrow(StorageUnavailableError);
      if (name === "s3") {
        await expect(store.stat("models/u1/iris/v1/model.onnx")).rejects.toThrow(
          StorageUnavailableError,
        );
        await expect(store.get("models/u1/iris/v1/model.onnx")).rejects.toThrow(
          StorageUnavailableError,
        );
      }
      await expect(store.put("models/u7/a/v1/m.onnx", bodyOf("x"))).rejects.toThrow(
        StorageUnavailableError,
      );
    } finally {
      await driver.recover();
    }
    await store.ping();
    expect(await store.exists("models/u1/iris/v1/model.onnx")).toBe(true);
  });
});
