import type { Readable } from "node:stream";
import type { Client } from "minio";
import { StorageSizeError } from "./errors";
import { meterSource } from "./meter";
import type { TPutOptions } from "./types";

const MAX_PARTS = 10_000;
const MIB = 1024 * 1024;

/**
 * Fills one of two fixed buffers per call, alternating, so a put holds at most two parts in memory
 * (one uploading, one filling) whatever the object size.
 */
class PartReader {
  private readonly buffers: Buffer[] = [];
  private which = 0;
  private carry: Buffer | undefined;
  private isEnded = false;

  constructor(
    private readonly source: AsyncIterator<Buffer>,
    readonly partSize: number,
  ) {}

  async read(): Promise<Buffer> {
    const buffer = (this.buffers[this.which] ??= Buffer.allocUnsafe(this.partSize));
    this.which ^= 1;
    let filled = 0;
    while (filled < this.partSize) {
      let chunk = this.carry;
      this.carry = undefined;
      if (!chunk) {
        if (this.isEnded) break;
        const next = await this.source.next();
        if (next.done) {
          this.isEnded = true;
          break;
        }
        chunk = next.value;
      }
      const taken = Math.min(chunk.length, this.partSize - filled);
      chunk.copy(buffer, filled, 0, taken);
      filled += taken;
      if (taken < chunk.length) this.carry = chunk.subarray(taken);
    }
    return buffer.subarray(0, filled);
  }
}

/** The configured part size, raised (in whole MiB) when a declared size would need over 10,000 parts. */
export function choosePartSize(configured: number, options: TPutOptions): number {
  const expected = options.size ?? options.maxBytes;
  if (expected === undefined || expected <= configured * MAX_PARTS) return configured;
  return Math.ceil(expected / MAX_PARTS / MIB) * MIB;
}

type TTarget = { client: Client; bucket: string; key: string; partSize: number };

async function uploadParts(
  target: TTarget,
  reader: PartReader,
  first: Buffer,
  second: Buffer,
  headers: Record<string, string>,
): Promise<string> {
  const { client, bucket, key } = target;
  const uploadId = await client.initiateNewMultipartUpload(bucket, key, headers);
  const etags: { part: number; etag: string }[] = [];
  const upload = async (part: number, payload: Buffer) => {
    if (part > MAX_PARTS) {
      throw new StorageSizeError(
        "too-large",
        `the file is larger than ${MAX_PARTS} parts of ${reader.partSize} bytes; declare its size`,
        MAX_PARTS * reader.partSize,
      );
    }
    const { etag } = await client.uploadPart(
      { bucketName: bucket, objectName: key, uploadID: uploadId, partNumber: part, headers: {} },
      payload,
    );
    etags.push({ part, etag });
  };
  try {
    // Part 1 goes alone: both buffers are full. From then on one part uploads while the next fills.
    await upload(1, first);
    let current = second;
    let part = 2;
    while (current.length > 0) {
      const reading = reader.read();
      // An upload failure is reported at once, not after the (maybe stalled) body fills a part.
      reading.catch(() => undefined);
      await upload(part, current);
      current = await reading;
      part += 1;
    }
    const result = await client.completeMultipartUpload(bucket, key, uploadId, etags);
    return result.etag;
  } catch (error) {
    // Best effort: an unreachable store cannot be told, and a sweep can abort stale uploads later.
    await client.abortMultipartUpload(bucket, key, uploadId).catch(() => undefined);
    throw error;
  }
}

/** Streams `body` into one object: a single PUT when it fits one part, else a multipart upload. */
export async function putStream(
  target: TTarget,
  body: Readable,
  options: TPutOptions,
): Promise<{ size: number; sha256: string; etag: string }> {
  const { meter, finish, release } = meterSource(body, options);
  const reader = new PartReader(
    meter[Symbol.asyncIterator]() as AsyncIterator<Buffer>,
    target.partSize,
  );
  const headers: Record<string, string> = options.contentType
    ? { "Content-Type": options.contentType }
    : {};
  try {
    const first = await reader.read();
    const second = first.length === target.partSize ? await reader.read() : Buffer.alloc(0);
    let etag: string;
    if (second.length === 0) {
      const result = await target.client.putObject(
        target.bucket,
        target.key,
        first,
        first.length,
        headers,
      );
      etag = result.etag;
    } else {
      etag = await uploadParts(target, reader, first, second, headers);
    }
    finish();
    return { size: meter.bytes, sha256: meter.digest(), etag };
  } catch (error) {
    release();
    throw error;
  }
}
