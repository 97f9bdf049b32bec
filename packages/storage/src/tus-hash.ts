import { createHash, type Hash } from "node:crypto";
import { pipeline, type Readable, Transform } from "node:stream";

type TEntry = { hash: Hash; offset: number; touchedAt: number };

export type TTracker = {
  isTracking: boolean;
  update: (chunk: Buffer) => void;
  settle: (newOffset: number) => void;
};

/**
 * Hashes tus PATCH bodies as they pass, so a finished upload's sha256 is known without reading it
 * again. The running hash is trusted only while the store's offsets agree with the bytes hashed;
 * any failed or out-of-order write drops it and the caller falls back to reading the object.
 */
export class UploadHashes {
  private readonly entries = new Map<string, TEntry>();

  /**
   * Starts following one write of upload `id` at `offset`: feed it every byte passed to the store with
   * `update`, then `settle` it with the store's new offset. A tracker that cannot continue the running hash
   * (an offset it did not see) ignores its bytes, and one never settled (a failed write) drops the hash.
   */
  track(id: string, offset: number): TTracker {
    const previous = this.entries.get(id);
    this.entries.delete(id);
    const entry =
      offset === 0
        ? { hash: createHash("sha256"), offset: 0, touchedAt: Date.now() }
        : previous?.offset === offset
          ? previous
          : undefined;
    let seen = 0;
    return {
      isTracking: entry !== undefined,
      update: (chunk) => {
        if (!entry) return;
        seen += chunk.length;
        entry.hash.update(chunk);
      },
      settle: (newOffset) => {
        if (!entry || newOffset !== offset + seen) return;
        entry.offset = newOffset;
        entry.touchedAt = Date.now();
        this.entries.set(id, entry);
      },
    };
  }

  /**
   * Hashes what `write` reads from `readable` on the way through (for stores that take a stream), and
   * hands it on in batches of at least `batchBytes`: @tus/s3-store appends every chunk it gets to a temp
   * file with its own promise-based write, so 64 KiB socket chunks cost one of those each.
   */
  async write(
    id: string,
    offset: number,
    readable: Readable,
    write: (stream: Readable) => Promise<number>,
    batchBytes = 1 << 20,
  ): Promise<number> {
    const tracker = this.track(id, offset);
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const take = () => {
      const batch = pending.length === 1 ? pending[0] : Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      return batch;
    };
    const tap = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        tracker.update(chunk);
        pending.push(chunk);
        pendingBytes += chunk.length;
        callback(null, pendingBytes >= batchBytes ? take() : undefined);
      },
      flush(callback) {
        callback(null, pendingBytes > 0 ? take() : undefined);
      },
    });
    // Errors reach `tap` (and so the store's own pipeline) through pipeline's destroy.
    const tapped = pipeline(readable, tap, () => undefined);
    const newOffset = await write(tapped);
    tracker.settle(newOffset);
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
