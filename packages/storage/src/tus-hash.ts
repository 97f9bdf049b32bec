import { createHash, type Hash } from "node:crypto";
import { pipeline, type Readable, Transform } from "node:stream";

type TEntry = { hash: Hash; offset: number; touchedAt: number };

/**
 * Hashes tus PATCH bodies as they pass, so a finished upload's sha256 is known without reading it
 * again. The running hash is trusted only while the store's offsets agree with the bytes hashed;
 * any failed or out-of-order write drops it and the caller falls back to reading the object.
 */
export class UploadHashes {
  private readonly entries = new Map<string, TEntry>();

  async write(
    id: string,
    offset: number,
    readable: Readable,
    write: (stream: Readable) => Promise<number>,
  ): Promise<number> {
    const previous = this.entries.get(id);
    this.entries.delete(id);
    const entry =
      offset === 0
        ? { hash: createHash("sha256"), offset: 0, touchedAt: Date.now() }
        : previous?.offset === offset
          ? previous
          : undefined;
    if (!entry) return write(readable);
    let seen = 0;
    const tap = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        seen += chunk.length;
        entry.hash.update(chunk);
        callback(null, chunk);
      },
    });
    // Errors reach `tap` (and so the store's own pipeline) through pipeline's destroy.
    const tapped = pipeline(readable, tap, () => undefined);
    const newOffset = await write(tapped);
    if (newOffset === offset + seen) {
      entry.offset = newOffset;
      entry.touchedAt = Date.now();
      this.entries.set(id, entry);
    }
    return newOffset;
  }

  /** The sha256 when every byte up to `size` went through this process in order, else undefined. */
  take(id: string, size: number): string | undefined {
    const entry = this.entries.get(id);
    this.entries.delete(id);
    return entry?.offset === size ? entry.hash.digest("hex") : undefined;
  }

  forget(id: string): void {
    this.entries.delete(id);
  }

  prune(maxIdleMs: number): void {
    const cutoff = Date.now() - maxIdleMs;
    for (const [id, entry] of this.entries) if (entry.touchedAt < cutoff) this.entries.delete(id);
  }
}
