// One error family for every driver, so the API maps storage failures to HTTP statuses in one place.

export class StorageError extends Error {
  override name = "StorageError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A key, file name or prefix that is not allowed (traversal, separators, control characters…): 400. */
export class StorageKeyError extends StorageError {
  override name = "StorageKeyError";
}

/** The object does not exist: 404. */
export class StorageNotFoundError extends StorageError {
  override name = "StorageNotFoundError";
  constructor(readonly key: string) {
    super(`object ${key} does not exist`);
  }
}

/** The store cannot be reached or cannot take data right now (network, disk full, gone): 503. */
export class StorageUnavailableError extends StorageError {
  override name = "StorageUnavailableError";
}

/**
 * The body did not match what was declared or allowed; nothing was stored.
 * `too-large` → 413, `length-mismatch` → 400.
 */
export class StorageSizeError extends StorageError {
  override name = "StorageSizeError";
  constructor(
    readonly reason: "too-large" | "length-mismatch",
    message: string,
    readonly limit?: number,
  ) {
    super(message);
  }
}

/** A byte range outside the object: 416 with `Content-Range: bytes *\/size`. */
export class StorageRangeError extends StorageError {
  override name = "StorageRangeError";
  constructor(
    message: string,
    readonly size: number,
  ) {
    super(message);
  }
}

/** The stream being stored failed (e.g. the client disconnected); nothing was stored. */
export class StorageSourceError extends StorageError {
  override name = "StorageSourceError";
}

const UNAVAILABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  // local disk: full, over quota, broken or read-only
  "ENOSPC",
  "EDQUOT",
  "EIO",
  "EROFS",
]);

const UNAVAILABLE_S3_CODES = new Set([
  "InternalError",
  "ServiceUnavailable",
  "SlowDown",
  "RequestTimeout",
  "NoSuchBucket",
]);

export function errorCode(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const code = (error as { code?: unknown }).code ?? (error as { Code?: unknown }).Code;
  return typeof code === "string" ? code : undefined;
}

/** True for failures that mean "the store is not reachable or cannot accept data". */
export function isUnavailable(error: unknown): boolean {
  if (error instanceof StorageUnavailableError) return true;
  if (error instanceof StorageError) return false;
  const code = errorCode(error);
  if (code && (UNAVAILABLE_CODES.has(code) || UNAVAILABLE_S3_CODES.has(code))) return true;
  const message = error instanceof Error ? error.message : String(error);
  // minio gives up on repeated 5xx answers with a plain Error, and Node reports dropped sockets in words.
  return /Retryable HTTP status: 5\d\d|socket hang up|other side closed|ECONNRESET|ECONNREFUSED/.test(
    message,
  );
}

export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = errorCode(error);
    return code && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}
