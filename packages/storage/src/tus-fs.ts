import { createWriteStream, mkdirSync } from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { FileStore } from "@tus/file-store";
import { ERRORS, type Upload } from "@tus/utils";
import { FsArtifactStore, syncFile } from "./fs-store";
import { describeError, StorageUnavailableError } from "./errors";
import { assertUploadId, UPLOADS_PREFIX } from "./keys";
import { finishUpload, sweepLeftovers } from "./tus-common";
import { UploadHashes } from "./tus-hash";
import type { TFsStorageConfig, TPutResult } from "./types";

const WRITE_BUFFER_BYTES = 1 << 20;

/** FileStore creates its folder in a callback that throws (an uncaught crash); do it first, clearly. */
function prepareDirectory(directory: string): string {
  try {
    mkdirSync(directory, { recursive: true, mode: 0o750 });
  } catch (error) {
    throw new StorageUnavailableError(
      `upload folder ${directory} cannot be created: ${describeError(error)}`,
      { cause: error },
    );
  }
  return directory;
}

/**
 * @tus/file-store under `<root>/uploads/`: upload `id` is the file `uploads/<id>` with its info in
 * `uploads/<id>.json`, on the same disk as the artifacts, so finishing is a rename.
 */
export class TusFileStore extends FileStore {
  readonly driver = "fs" as const;
  readonly artifacts: FsArtifactStore;
  private readonly hashes = new UploadHashes();

  constructor(config: TFsStorageConfig, options: { expirationPeriodInMilliseconds: number }) {
    const artifacts = new FsArtifactStore(config);
    super({
      directory: prepareDirectory(path.join(artifacts.root, UPLOADS_PREFIX)),
      expirationPeriodInMilliseconds: options.expirationPeriodInMilliseconds,
    });
    this.artifacts = artifacts;
  }

  /**
   * FileStore's own write with fewer hops: no counting Transform, no hashing Transform (a 'data' listener,
   * like a bare server), and a 1 MiB write buffer so queued chunks go to disk in one writev, not one
   * write(2) per 64 KiB chunk.
   */
  override async write(readable: Readable, id: string, offset: number): Promise<number> {
    const tracker = this.hashes.track(id, offset);
    const sink = createWriteStream(path.join(this.directory, assertUploadId(id)), {
      flags: "r+",
      start: offset,
      highWaterMark: WRITE_BUFFER_BYTES,
    });
    let received = 0;
    // Added in the same tick as the pipe below, so both see every chunk from the first.
    readable.on("data", (chunk: Buffer) => {
      received += chunk.length;
      tracker.update(chunk);
    });
    try {
      await pipeline(readable, sink);
    } catch {
      await this.artifacts.ping();
      throw ERRORS.FILE_WRITE_ERROR;
    }
    tracker.settle(offset + received);
    return offset + received;
  }

  /** A missing upload file is a 404 only while the storage folder is there; otherwise it is an outage. */
  override async getUpload(id: string): Promise<Upload> {
    try {
      return await super.getUpload(id);
    } catch (error) {
      await this.artifacts.ping();
      throw error;
    }
  }

  override async remove(id: string): Promise<void> {
    this.hashes.forget(id);
    await super.remove(id);
  }

  /** Moves finished upload `uploadId` to `finalKey` (fsync + rename) and deletes its info file. */
  async finishTusUpload(uploadId: string, finalKey: string): Promise<TPutResult> {
    return finishUpload({
      store: this.artifacts,
      uploadId,
      finalKey,
      getUpload: () => this.getUpload(uploadId),
      takeHash: (size) => this.hashes.take(uploadId, size),
      // The file store never syncs what it wrote; the artifact must be on disk before it is named.
      beforeMove: async (key) => syncFile(await this.artifacts.pathOf(key)),
      removeBookkeeping: async () => {
        await rm(path.join(this.directory, `${uploadId}.json`), { force: true });
      },
    });
  }

  /** Expired incomplete uploads (tus' rule) plus leftovers no request touched in the period. */
  override async deleteExpired(): Promise<number> {
    const expiration = this.getExpiration();
    if (expiration <= 0) return 0;
    const expired = await super.deleteExpired();
    return expired + (await sweepLeftovers(this.artifacts, expiration));
  }

  async cleanUpExpired(): Promise<number> {
    const removed = await this.deleteExpired();
    this.hashes.prune(this.getExpiration());
    return removed;
  }
}
