import type { Readable } from "node:stream";
import { type Client, CopyDestinationOptions, CopySourceOptions } from "minio";
import { errorCode, StorageError, StorageNotFoundError, StorageUnavailableError } from "./errors";
import { assertValidKey, assertValidPrefix } from "./keys";
import { resolveRange } from "./range";
import {
  createMinioClient,
  isS3NotFound,
  mapS3Error,
  parseS3Endpoint,
  partSizeOf,
} from "./s3-client";
import { choosePartSize, putStream } from "./s3-put";
import type {
  TArtifactStore,
  TGetOptions,
  TGetResult,
  TObjectInfo,
  TPutOptions,
  TPutResult,
  TS3StorageConfig,
} from "./types";

/** S3's limit for one CopyObject; bigger objects would need a multipart copy. */
export const MAX_COPY_BYTES = 5 * 1024 * 1024 * 1024;
const MAX_PRESIGN_SECONDS = 7 * 24 * 60 * 60;
const PING_TIMEOUT_MS = 5000;

export class S3ArtifactStore implements TArtifactStore {
  readonly driver = "s3" as const;
  readonly bucket: string;
  readonly client: Client;
  private readonly where: string;
  private readonly partSize: number;

  constructor(private readonly config: TS3StorageConfig) {
    this.bucket = config.bucket;
    this.client = createMinioClient(config);
    this.partSize = partSizeOf(config);
    this.where = `${parseS3Endpoint(config.endpoint).url}/${config.bucket}`;
  }

  describe(): string {
    return `s3:${this.where}`;
  }

  private fail(error: unknown, action: string, key?: string): Error {
    return mapS3Error(error, this.where, action, key);
  }

  async ensureReady(): Promise<void> {
    try {
      if (await this.client.bucketExists(this.bucket)) return;
      await this.client.makeBucket(this.bucket, this.config.region);
    } catch (error) {
      const code = errorCode(error);
      // Another replica created it between our check and our create.
      if (code === "BucketAlreadyOwnedByYou" || code === "BucketAlreadyExists") return;
      throw this.fail(error, "create the bucket");
    }
  }

  async ping(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new StorageUnavailableError(
              `object store ${this.where} did not answer within ${PING_TIMEOUT_MS} ms`,
            ),
          ),
        PING_TIMEOUT_MS,
      );
    });
    try {
      const isPresent = await Promise.race([this.client.bucketExists(this.bucket), timeout]);
      if (!isPresent)
        throw new StorageUnavailableError(`bucket ${this.bucket} does not exist at ${this.where}`);
    } catch (error) {
      const mapped = this.fail(error, "answer");
      throw mapped instanceof StorageUnavailableError
        ? mapped
        : new StorageUnavailableError(mapped.message, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }

  async put(key: string, body: Readable, options: TPutOptions = {}): Promise<TPutResult> {
    assertValidKey(key);
    try {
      const partSize = choosePartSize(this.partSize, options);
      const result = await putStream(
        { client: this.client, bucket: this.bucket, key, partSize },
        body,
        options,
      );
      return { key, ...result };
    } catch (error) {
      throw this.fail(error, `store ${key}`);
    }
  }

  async stat(key: string): Promise<TObjectInfo | undefined> {
    assertValidKey(key);
    try {
      const stats = await this.client.statObject(this.bucket, key);
      return { key, size: stats.size, etag: stats.etag, lastModified: stats.lastModified };
    } catch (error) {
      if (isS3NotFound(error)) return undefined;
      throw this.fail(error, "stat", key);
    }
  }

  async exists(key: string): Promise<boolean> {
    return (await this.stat(key)) !== undefined;
  }

  async get(key: string, options: TGetOptions = {}): Promise<TGetResult> {
    const info = await this.stat(key);
    if (!info) throw new StorageNotFoundError(key);
    const range = resolveRange(key, info.size, options);
    try {
      const isWhole = range.start === 0 && range.contentLength === info.size;
      const body = isWhole
        ? await this.client.getObject(this.bucket, key)
        : await this.client.getPartialObject(this.bucket, key, range.start, range.contentLength);
      return { ...info, ...range, body };
    } catch (error) {
      throw this.fail(error, "read", key);
    }
  }

  async delete(key: string): Promise<void> {
    assertValidKey(key);
    try {
      await this.client.removeObject(this.bucket, key);
    } catch (error) {
      if (isS3NotFound(error)) return;
      throw this.fail(error, "delete", key);
    }
  }

  async *list(prefix: string): AsyncIterable<TObjectInfo> {
    assertValidPrefix(prefix);
    const stream = this.client.listObjectsV2(this.bucket, prefix, true);
    try {
      for await (const item of stream) {
        const entry = item as { name?: string; size: number; etag?: string; lastModified?: Date };
        if (!entry.name) continue;
        yield {
          key: entry.name,
          size: entry.size,
          etag: (entry.etag ?? "").replace(/^"|"$/g, ""),
          lastModified: entry.lastModified ?? new Date(0),
        };
      }
    } catch (error) {
      throw this.fail(error, "list", prefix || "/");
    }
  }

  async move(fromKey: string, toKey: string): Promise<void> {
    assertValidKey(toKey);
    const info = await this.stat(fromKey);
    if (!info) throw new StorageNotFoundError(fromKey);
    if (info.size > MAX_COPY_BYTES) {
      throw new StorageError(
        `cannot move ${fromKey}: ${info.size} bytes is over the 5 GiB limit of one S3 server-side copy`,
      );
    }
    try {
      await this.client.copyObject(
        new CopySourceOptions({ Bucket: this.bucket, Object: fromKey }),
        new CopyDestinationOptions({ Bucket: this.bucket, Object: toKey }),
      );
      await this.client.removeObject(this.bucket, fromKey);
    } catch (error) {
      throw this.fail(error, "move", `${fromKey} to ${toKey}`);
    }
  }

  async presignGet(key: string, ttlSeconds: number): Promise<string> {
    assertValidKey(key);
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_PRESIGN_SECONDS) {
      throw new StorageError(
        `presigned URL lifetime must be 1–${MAX_PRESIGN_SECONDS} seconds, got ${ttlSeconds}`,
      );
    }
    try {
      return await this.client.presignedGetObject(this.bucket, key, ttlSeconds);
    } catch (error) {
      throw this.fail(error, "presign", key);
    }
  }
}

export function createS3Store(config: TS3StorageConfig): S3ArtifactStore {
  return new S3ArtifactStore(config);
}
