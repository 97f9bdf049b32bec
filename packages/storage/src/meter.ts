import { createHash, type Hash } from "node:crypto";
import { finished, type Readable, Transform, type TransformCallback } from "node:stream";
import { describeError, StorageSizeError, StorageSourceError } from "./errors";
import type { TPutOptions } from "./types";

/** Counts and hashes bytes on their way to a store, enforcing the declared size and the limit. */
export class Meter extends Transform {
  bytes = 0;
  private readonly hash: Hash = createHash("sha256");

  constructor(private readonly options: TPutOptions = {}) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    const { size, maxBytes } = this.options;
    if (maxBytes !== undefined && this.bytes > maxBytes) {
      callback(
        new StorageSizeError(
          "too-large",
          `the file is larger than the limit of ${maxBytes} bytes`,
          maxBytes,
        ),
      );
      return;
    }
    if (size !== undefined && this.bytes > size) {
      callback(
        new StorageSizeError(
          "length-mismatch",
          `the body is longer than the declared ${size} bytes`,
        ),
      );
      return;
    }
    this.hash.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    const { size } = this.options;
    if (size !== undefined && this.bytes !== size) {
      callback(
        new StorageSizeError(
          "length-mismatch",
          `the body ended after ${this.bytes} of the declared ${size} bytes`,
        ),
      );
      return;
    }
    callback();
  }

  digest(): string {
    return this.hash.digest("hex");
  }
}

export function checkPutOptions(options: TPutOptions): void {
  const { size, maxBytes } = options;
  for (const [name, value] of Object.entries({ size, maxBytes })) {
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) {
      throw new TypeError(`put option ${name} must be a non-negative integer, got ${value}`);
    }
  }
  if (size !== undefined && maxBytes !== undefined && size > maxBytes) {
    throw new StorageSizeError(
      "too-large",
      `the declared size of ${size} bytes is over the limit of ${maxBytes} bytes`,
      maxBytes,
    );
  }
}

/**
 * Pipes the caller's stream into a meter. A failing source fails the meter with StorageSourceError.
 * After a failed put `release()` stops reading the source without destroying it (an HTTP request
 * can still be answered); after a successful one `finish()` drops the listeners.
 */
export function meterSource(body: Readable, options: TPutOptions = {}) {
  checkPutOptions(options);
  const meter = new Meter(options);
  // The put reads a failure from the meter's pipeline (a destroyed stream keeps its error); this listener
  // only keeps a source that fails before that pipeline starts from becoming an uncaught exception.
  meter.on("error", () => undefined);
  const stopWatching = finished(body, { writable: false }, (error) => {
    if (!error) return;
    const message = `the upload stream failed: ${describeError(error)}`;
    meter.destroy(new StorageSourceError(message, { cause: error }));
  });
  body.pipe(meter);
  return {
    meter,
    finish: () => stopWatching(),
    release: () => {
      stopWatching();
      body.unpipe(meter);
      if (!meter.destroyed) meter.destroy();
    },
  };
}
