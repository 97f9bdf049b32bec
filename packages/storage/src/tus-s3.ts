import { createReadStream, ReadStream } from "node:fs";
import type { Readable } from "node:stream";
import { S3Store } from "@tus/s3-store";
import { Upload } from "@tus/utils";
import { errorCode } from "./errors";
import { UPLOADS_PREFIX } from "./keys";
import { parseS3Endpoint, partSizeOf } from "./s3-client";
import { S3ArtifactStore } from "./s3-store";
import { finishUpload, sweepLeftovers } from "./tus-common";
import { UploadHashes } from "./tus-hash";
import type { TPutResult, TS3StorageConfig } from "./types";

// Parts go to the local temp folder before S3 (the store's own design); few in flight bounds that.
const MAX_CONCURRENT_PARTS = 4;
/** Reads of a part's temp file on its way to S3 (the store's default is 64 KiB, one read(2) each). */
const PART_READ_BYTES = 1 << 20;

/**
 * @tus/s3-store with every object under `uploads/`: upload `id` is the multipart upload of key
 * `uploads/<id>`, with `uploads/<id>.info` (its JSON) and `uploads/<id>.part` (a tail shorter than
 * one part). The server and its clients only ever see the bare random id.
 */
export class TusS3Store extends S3Store {
  readonly driver = "s3" as const;
  readonly artifacts: S3ArtifactStore;
  private readonly hashes = new UploadHashes();

  constructor(config: TS3StorageConfig, options: { expirationPeriodInMilliseconds: number }) {
    super({
      partSize: partSizeOf(config),
      maxConcurrentPartUploads: MAX_CONCURRENT_PARTS,
      expirationPeriodInMilliseconds: options.expirationPeriodInMilliseconds,
      // Expiry is done by cleanUpExpired below, not by bucket lifecycle rules on tags.
      useTags: false,
      s3ClientConfig: {
        bucket: config.bucket,
        endpoint: parseS3Endpoint(config.endpoint).url,
        region: config.region,
        forcePathStyle: config.pathStyle,
        credentials: { accessKeyId: config.accessKey, secretAccessKey: config.secretKey },
        // S3-compatible stores (MinIO releases, s3rver, Ceph) do not all decode aws-chunked bodies.
        requestChecksumCalculation: "WHEN_REQUIRED",
        responseChecksumValidation: "WHEN_REQUIRED",
      },
    });
    this.artifacts = new S3ArtifactStore(config);
  }

  private keyOf(id: string): string {
    return `${UPLOADS_PREFIX}${id}`;
  }

  private withPublicId(upload: Upload, id: string): Upload {
    return new Upload({ ...upload, id });
  }

  override async create(upload: Upload): Promise<Upload> {
    const inner = await super.create(this.withPublicId(upload, this.keyOf(upload.id)));
    upload.creation_date = inner.creation_date;
    upload.storage = inner.storage;
    return upload;
  }

  override async getUpload(id: string): Promise<Upload> {
    return this.withPublicId(await super.getUpload(this.keyOf(id)), id);
  }

  override async write(readable: Readable, id: string, offset: number): Promise<number> {
    return this.hashes.write(id, offset, readable, (stream) =>
      super.write(stream, this.keyOf(id), offset),
    );
  }

  /** The store's own part upload, from its temp file read in 1 MiB instead of 64 KiB reads. */
  protected override async uploadPart(
    ...[metadata, body, partNumber]: Parameters<S3Store["uploadPart"]>
  ): Promise<string> {
    if (!(body instanceof ReadStream) || typeof body.path !== "string" || body.bytesRead > 0) {
      return super.uploadPart(metadata, body, partNumber);
    }
    const file = createReadStream(body.path, { highWaterMark: PART_READ_BYTES });
    // Its error listener is the store's; an error of the replacement reaches the upload through the SDK.
    body.destroy();
    return super.uploadPart(metadata, file, partNumber);
  }

  override async declareUploadLength(id: string, length: number): Promise<void> {
    await super.declareUploadLength(this.keyOf(id), length);
  }

  override async read(id: string): Promise<Readable> {
    return super.read(this.keyOf(id));
  }

  override async remove(id: string): Promise<void> {
    this.hashes.forget(id);
    await super.remove(this.keyOf(id));
    await this.artifacts.delete(`${this.keyOf(id)}.part`);
  }

  /** Copies finished upload `uploadId` to `finalKey`, then deletes it, its .info and .part. */
  async finishTusUpload(uploadId: string, finalKey: string): Promise<TPutResult> {
    return finishUpload({
      store: this.artifacts,
      uploadId,
      finalKey,
      getUpload: () => this.getUpload(uploadId),
      takeHash: (size) => this.hashes.take(uploadId, size),
      removeBookkeeping: async (key) => {
        await this.artifacts.delete(`${key}.info`);
        await this.artifacts.delete(`${key}.part`);
        await this.clearCache(key);
      },
    });
  }

  /** Like S3Store.deleteExpired, but only under uploads/ (artifact puts use multipart uploads too). */
  override async deleteExpired(): Promise<number> {
    const expiration = this.getExpiration();
    if (expiration <= 0) return 0;
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    let deleted = 0;
    const active = new Set<string>();
    for (;;) {
      const page = await this.client.listMultipartUploads({
        Bucket: this.bucket,
        Prefix: UPLOADS_PREFIX,
        KeyMarker: keyMarker,
        UploadIdMarker: uploadIdMarker,
      });
      for (const upload of page.Uploads ?? []) {
        if (!upload.Key || !upload.UploadId) continue;
        const initiated = upload.Initiated?.getTime() ?? Date.now();
        if (Date.now() <= initiated + expiration) {
          active.add(upload.Key);
          continue;
        }
        await this.client
          .abortMultipartUpload({ Bucket: this.bucket, Key: upload.Key, UploadId: upload.UploadId })
          .catch((error: unknown) => {
            if (errorCode(error) !== "NoSuchUpload" && (error as Error).name !== "NoSuchUpload") {
              throw error;
            }
          });
        await this.artifacts.delete(this.infoKey(upload.Key));
        await this.artifacts.delete(this.partKey(upload.Key, true));
        await this.clearCache(upload.Key);
        this.hashes.forget(upload.Key.slice(UPLOADS_PREFIX.length));
        deleted += 1;
      }
      if (!page.IsTruncated) break;
      keyMarker = page.NextKeyMarker;
      uploadIdMarker = page.NextUploadIdMarker;
    }
    return deleted + (await sweepLeftovers(this.artifacts, expiration, (key) => active.has(key)));
  }

  async cleanUpExpired(): Promise<number> {
    const removed = await this.deleteExpired();
    this.hashes.prune(this.getExpiration());
    return removed;
  }
}
