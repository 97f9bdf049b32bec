import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { UploadHashes } from "./tus-hash";

const sha = (text: string) => createHash("sha256").update(text).digest("hex");

/** A store write that keeps `keep` of the bytes it is given (all by default), like a real one. */
function writer(stored: { data: string }, keep?: number) {
  return async (stream: Readable): Promise<number> => {
    let received = "";
    for await (const chunk of stream) received += (chunk as Buffer).toString();
    const kept = keep === undefined ? received : received.slice(0, keep);
    stored.data += kept;
    return stored.data.length;
  };
}

describe("UploadHashes (the running sha256 of tus uploads)", () => {
  it("hashes PATCH bodies in order and hands the digest over once", async () => {
    const hashes = new UploadHashes();
    const stored = { data: "" };
    await hashes.write("id", 0, Readable.from([Buffer.from("hello ")]), writer(stored));
    await hashes.write("id", 6, Readable.from([Buffer.from("world")]), writer(stored));
    expect(hashes.take("id", 11)).toBe(sha("hello world"));
    expect(hashes.take("id", 11)).toBeUndefined();
  });

  it("gives up (so the caller re-reads the object) when the store kept fewer bytes than passed", async () => {
    const hashes = new UploadHashes();
    const stored = { data: "" };
    await hashes.write("id", 0, Readable.from([Buffer.from("hello ")]), writer(stored, 3));
    await hashes.write("id", 3, Readable.from([Buffer.from("lo world")]), writer(stored));
    expect(stored.data).toBe("hello world");
    expect(hashes.take("id", 11)).toBeUndefined();
  });

  it("gives up on a failed write and on an offset it did not see", async () => {
    const hashes = new UploadHashes();
    const stored = { data: "" };
    await expect(
      hashes.write("a", 0, Readable.from([Buffer.from("x")]), () =>
        Promise.reject(new Error("disk")),
      ),
    ).rejects.toThrow("disk");
    expect(hashes.take("a", 1)).toBeUndefined();
    await hashes.write("b", 0, Readable.from([Buffer.from("abc")]), writer(stored));
    await hashes.write("b", 5, Readable.from([Buffer.from("def")]), async () => 8);
    expect(hashes.take("b", 8)).toBeUndefined();
  });

  it("starts over when an upload is written again from offset 0, and prunes idle entries", async () => {
    const hashes = new UploadHashes();
    await hashes.write("id", 0, Readable.from([Buffer.from("old")]), writer({ data: "" }));
    await hashes.write("id", 0, Readable.from([Buffer.from("new")]), writer({ data: "" }));
    expect(hashes.take("id", 3)).toBe(sha("new"));
    await hashes.write("idle", 0, Readable.from([Buffer.from("x")]), writer({ data: "" }));
    await new Promise((r) => setTimeout(r, 20));
    hashes.prune(10);
    expect(hashes.take("idle", 1)).toBeUndefined();
  });

  it("hands the store the bytes in order, in batches of at least batchBytes but the last", async () => {
    const hashes = new UploadHashes();
    const chunks = Array.from({ length: 10 }, (_, i) => Buffer.alloc(3, 97 + i));
    const seen: number[] = [];
    let received = "";
    await hashes.write(
      "id",
      0,
      Readable.from(chunks),
      // 'data' events, as a piping store sees them (an async iterator would join what is buffered).
      (stream) =>
        new Promise((resolve, reject) => {
          stream.on("data", (chunk: Buffer) => {
            seen.push(chunk.length);
            received += chunk.toString();
          });
          stream.on("end", () => resolve(received.length));
          stream.on("error", reject);
        }),
      8,
    );
    expect(received).toBe(Buffer.concat(chunks).toString());
    expect(seen).toEqual([9, 9, 9, 3]);
    expect(hashes.take("id", 30)).toBe(sha(received));
  });
});
