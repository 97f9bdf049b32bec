import { createHash } from "node:crypto";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createArtifactStore } from "./create-store";
import { StorageSizeError, StorageSourceError, StorageUnavailableError } from "./errors";
import { generatedStream, sha256OfGenerated, startTestDriver, type TTestDriver } from "./testing";
import type { TArtifactStore } from "./types";

const MiB = 1024 * 1024;
const BIG = 300 * MiB;
const HTTP_CHUNK = 64 * 1024; // what a request body delivers

/** Peak RSS growth over `run`, sampled every 5 ms (process.memoryUsage, not time). */
async function measureRss<T>(run: () => Promise<T>): Promise<{ result: T; growthMiB: number }> {
  const before = process.memoryUsage().rss;
  let peak = before;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
  try {
    const result = await run();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { result, growthMiB: (peak - before) / MiB };
  } finally {
    clearInterval(timer);
  }
}

/** A source that counts what was read from it and can fail or stall on cue. */
function controlledSource(
  total: number,
  options: { failAt?: number; onRead?: (bytes: number) => Promise<void> | void } = {},
) {
  const state = { read: 0 };
  async function* produce() {
    for await (const chunk of generatedStream(total, 7, MiB)) {
      if (options.failAt !== undefined && state.read >= options.failAt) {
        throw new Error("client connection reset");
      }
      state.read += (chunk as Buffer).length;
      await options.onRead?.(state.read);
      yield chunk as Buffer;
    }
  }
  const stream = Readable.from(produce(), { objectMode: false, highWaterMark: MiB });
  return { stream, state };
}

describe.each(["fs", "s3"] as const)("%s store streaming", (name) => {
  let driver: TTestDriver;
  let store: TArtifactStore;

  beforeAll(async () => {
    driver = await startTestDriver(name);
    store = createArtifactStore(driver.config);
    await store.ensureReady();
  });
  afterAll(() => driver.stop());

  /** Half-written files (fs) or unfinished multipart uploads (s3) left behind. */
  async function leftovers(): Promise<string[]> {
    const dir =
      name === "fs"
        ? path.join(driver.config.driver === "fs" ? driver.config.dir : "", ".tmp")
        : path.join(driver.s3!.directory, "kubeserve-test", "._S3rver_uploads");
    return readdir(dir).catch(() => []);
  }

  it("streams 300 MB with RSS growth under 100 MB, hashing on the fly", async () => {
    // No warm-up: the first large put of the process pays for its buffers inside the measurement.
    const expected = await sha256OfGenerated(BIG, 3, HTTP_CHUNK);
    const startedAt = performance.now();
    const { result, growthMiB } = await measureRss(() =>
      store.put("models/u/big/v1/model.onnx", generatedStream(BIG, 3, HTTP_CHUNK), { size: BIG }),
    );
    const seconds = (performance.now() - startedAt) / 1000;
    console.log(
      `[${name}] put 300 MB: RSS growth ${growthMiB.toFixed(1)} MiB, ${(BIG / MiB / seconds).toFixed(0)} MB/s`,
    );
    expect(result).toMatchObject({ size: BIG, sha256: expected });
    expect(growthMiB).toBeLessThan(100);
    expect((await store.stat("models/u/big/v1/model.onnx"))?.size).toBe(BIG);

    const read = await measureRss(async () => {
      const { body } = await store.get("models/u/big/v1/model.onnx");
      const hash = createHash("sha256");
      for await (const chunk of body) hash.update(chunk as Buffer);
      return hash.digest("hex");
    });
    console.log(`[${name}] get 300 MB: RSS growth ${read.growthMiB.toFixed(1)} MiB`);
    expect(read.result).toBe(expected);
    expect(read.growthMiB).toBeLessThan(100);
    await store.delete("models/u/big/v1/model.onnx");
  });

  it("refuses a body longer than declared, keeping the object already there", async () => {
    await store.put("models/u/len/v1/m.onnx", Readable.from([Buffer.from("original")]));
    const body = generatedStream(3 * MiB, 1, HTTP_CHUNK);
    const error = await store
      .put("models/u/len/v1/m.onnx", body, { size: MiB })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageSizeError);
    expect((error as StorageSizeError).reason).toBe("length-mismatch");
    expect((error as Error).message).toMatch(/longer than the declared 1048576 bytes/);
    expect(body.destroyed).toBe(false); // still the caller's to answer and close
    const kept = await store.get("models/u/len/v1/m.onnx");
    kept.body.destroy();
    expect(kept.size).toBe(8);
    expect(await leftovers()).toEqual([]);
  });

  it("refuses a body shorter than declared", async () => {
    const error = await store
      .put("models/u/len/v2/m.onnx", generatedStream(MiB, 1, HTTP_CHUNK), { size: 2 * MiB })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageSizeError);
    expect((error as Error).message).toMatch(/ended after 1048576 of the declared 2097152 bytes/);
    expect(await store.exists("models/u/len/v2/m.onnx")).toBe(false);
    expect(await leftovers()).toEqual([]);
  });

  it("cuts off an undeclared body at the limit, after parts were already stored", async () => {
    const { stream, state } = controlledSource(60 * MiB);
    const error = await store
      .put("models/u/limit/v1/m.onnx", stream, { maxBytes: 40 * MiB })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageSizeError);
    expect((error as StorageSizeError).reason).toBe("too-large");
    expect((error as StorageSizeError).limit).toBe(40 * MiB);
    expect(state.read).toBeLessThan(60 * MiB);
    expect(await store.exists("models/u/limit/v1/m.onnx")).toBe(false);
    expect(await leftovers()).toEqual([]);
  });

  it("refuses a declared size over the limit before reading a byte", async () => {
    const { stream, state } = controlledSource(10 * MiB);
    await expect(
      store.put("models/u/limit/v2/m.onnx", stream, { size: 10 * MiB, maxBytes: MiB }),
    ).rejects.toThrow(/declared size of 10485760 bytes is over the limit of 1048576/);
    expect(state.read).toBe(0);
  });

  it("reports a failing source as StorageSourceError and stores nothing", async () => {
    const { stream } = controlledSource(40 * MiB, { failAt: 20 * MiB });
    const error = await store.put("models/u/src/v1/m.onnx", stream).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageSourceError);
    expect((error as Error).message).toMatch(/client connection reset/);
    expect(await store.exists("models/u/src/v1/m.onnx")).toBe(false);
    expect(await leftovers()).toEqual([]);
  });

  it("fails a put with StorageUnavailableError when the store goes away mid-stream", async () => {
    const smallParts = createArtifactStore(
      driver.config.driver === "s3" ? { ...driver.config, partSizeBytes: 5 * MiB } : driver.config,
    );
    let isDown = false;
    const { stream, state } = controlledSource(60 * MiB, {
      onRead: async (bytes) => {
        if (bytes >= 12 * MiB && !isDown) {
          isDown = true;
          await driver.outage();
        }
        await new Promise((r) => setTimeout(r, 2));
      },
    });
    try {
      const error = await smallParts
        .put("models/u/down/v1/m.onnx", stream)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StorageUnavailableError);
      expect(isDown).toBe(true);
      // never destroyed by the store before its end (an ended stream destroys itself)
      expect(stream.destroyed && !stream.readableEnded).toBe(false);
      // S3 fails on the next part; the fs driver writes to the moved folder and fails on rename
      if (name === "s3") expect(state.read).toBeLessThan(60 * MiB);
    } finally {
      await driver.recover();
    }
    expect(await store.exists("models/u/down/v1/m.onnx")).toBe(false);
  });
});
