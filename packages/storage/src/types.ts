import type { Readable } from "node:stream";

/** Files on local disk under `dir` (the embedded default). */
export type TFsStorageConfig = {
  driver: "fs";
  /** root folder; made absolute at start */
  dir: string;
};

/** S3 or MinIO through the minio client. */
export type TS3StorageConfig = {
  driver: "s3";
  /** e.g. http://minio:9000 — host, port and TLS (https) are taken from the URL */
  endpoint: string;
  accessKey: string;
  secretKey: string;
  region: string;
  bucket: string;
  /** path-style URLs (http://host/bucket/key), which MinIO and most S3-compatible stores need */
  pathStyle: boolean;
  /** bytes buffered per multipart part (default 16 MiB); at most two parts are in memory per put */
  partSizeBytes?: number;
};

export type TStorageConfig = TFsStorageConfig | TS3StorageConfig;

export type TPutOptions = {
  /** declared length: a body that is shorter or longer fails with StorageSizeError("length-mismatch") */
  size?: number;
  /** hard limit: the put fails with StorageSizeError("too-large") as soon as the body passes it */
  maxBytes?: number;
  /** stored as the object's Content-Type on S3 */
  contentType?: string;
};

export type TPutResult = {
  key: string;
  size: number;
  /** hex sha256 of the stored bytes, computed while streaming */
  sha256: string;
  etag: string;
};

export type TObjectInfo = {
  key: string;
  size: number;
  etag: string;
  lastModified: Date;
};

/** Inclusive byte offsets, as in HTTP `Range: bytes=start-end`; `end` past the object is clamped. */
export type TGetOptions = { start?: number; end?: number };

export type TGetResult = TObjectInfo & {
  body: Readable;
  /** first and last byte in `body` (inclusive); `contentLength` = end - start + 1 */
  start: number;
  end: number;
  contentLength: number;
};

/**
 * Where artifacts live. Keys look like `models/{userId}/{model}/{version}/{filename}` (see
 * `artifactKey`); every method validates the key again and refuses anything else with StorageKeyError.
 * Failures are StorageError subclasses: NotFound, Unavailable (503), Size, Range, Source, Key.
 */
export type TArtifactStore = {
  readonly driver: "fs" | "s3";
  /** for logs, e.g. `fs:/var/lib/kubeserve/artifacts` or `s3:http://minio:9000/kubeserve-artifacts` */
  describe(): string;
  /** fs: creates the folder; s3: creates the bucket if missing */
  ensureReady(): Promise<void>;
  /** resolves when the store answers; rejects with StorageUnavailableError otherwise */
  ping(): Promise<void>;
  /**
   * Streams `body` to `key` without holding it in memory; the object appears whole or not at all.
   * On failure `body` is no longer read but is not destroyed (the caller still owns the request).
   */
  put(key: string, body: Readable, options?: TPutOptions): Promise<TPutResult>;
  /** throws StorageNotFoundError, or StorageRangeError for a range outside the object */
  get(key: string, options?: TGetOptions): Promise<TGetResult>;
  /** undefined when the object does not exist */
  stat(key: string): Promise<TObjectInfo | undefined>;
  exists(key: string): Promise<boolean>;
  /** idempotent: deleting a missing object succeeds */
  delete(key: string): Promise<void>;
  /** every object whose key starts with `prefix`, for sweeps; keys in ascending order per folder */
  list(prefix: string): AsyncIterable<TObjectInfo>;
  /** replaces `toKey`; fs: rename, s3: server-side copy (≤ 5 GiB) then delete */
  move(fromKey: string, toKey: string): Promise<void>;
  /** a time-limited GET URL (S3 only; fs returns undefined) */
  presignGet(key: string, ttlSeconds: number): Promise<string | undefined>;
};
