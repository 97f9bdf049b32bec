import { StorageKeyError } from "./errors";

// Keys are S3-style strings that the fs driver also maps onto folders, so every rule here exists
// to keep a key from ever meaning "somewhere else" on disk or in a bucket.

const MAX_KEY_BYTES = 1024; // S3's limit
const MAX_SEGMENT_BYTES = 255; // common file-system limit for one name
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const ID_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

function byteLength(value: string): number {
  return Buffer.byteLength(value, "utf8");
}

function describe(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
}

function segmentProblem(segment: string): string | undefined {
  if (segment.length === 0) return "has an empty path segment";
  if (segment === "." || segment === "..") return "contains a '.' or '..' segment";
  if (segment.startsWith(".")) return "has a segment starting with '.' (reserved)";
  if (segment.includes("\\")) return "contains a backslash";
  if (CONTROL.test(segment)) return "contains NUL or control characters";
  if (byteLength(segment) > MAX_SEGMENT_BYTES)
    return `has a segment over ${MAX_SEGMENT_BYTES} bytes`;
  if (segment !== segment.normalize("NFC")) return "is not in Unicode NFC form";
  return undefined;
}

/** Throws StorageKeyError unless `key` is a relative, '/'-separated key with safe segments. */
export function assertValidKey(key: string): string {
  if (typeof key !== "string" || key.length === 0) throw new StorageKeyError("object key is empty");
  if (byteLength(key) > MAX_KEY_BYTES) {
    throw new StorageKeyError(`object key ${describe(key)} is longer than ${MAX_KEY_BYTES} bytes`);
  }
  if (key.startsWith("/")) throw new StorageKeyError(`object key ${describe(key)} is absolute`);
  for (const segment of key.split("/")) {
    const problem = segmentProblem(segment);
    if (problem) throw new StorageKeyError(`object key ${describe(key)} ${problem}`);
  }
  return key;
}

export function isValidKey(key: string): boolean {
  try {
    assertValidKey(key);
    return true;
  } catch {
    return false;
  }
}

/** A list prefix: "" (everything), whole segments ending in '/', or a key-like partial name. */
export function assertValidPrefix(prefix: string): string {
  if (prefix === "") return prefix;
  const trimmed = prefix.endsWith("/") ? prefix.slice(0, -1) : prefix;
  try {
    assertValidKey(trimmed);
  } catch (error) {
    throw new StorageKeyError(
      `list prefix ${describe(prefix)} is not allowed: ${(error as Error).message.replace(/^object key "[^"]*" /, "")}`,
    );
  }
  return prefix;
}

/**
 * Validates a user-supplied file name for use as the last key segment. Refused, never rewritten:
 * empty, '.', '..', any '/' or '\\' (so no absolute paths or traversal), NUL and control characters,
 * a leading '.', a drive prefix like 'C:', and names over 255 bytes. Returns the NFC form.
 */
export function assertSafeFilename(filename: string): string {
  if (typeof filename !== "string" || filename.length === 0) {
    throw new StorageKeyError("file name is empty");
  }
  const name = filename.normalize("NFC");
  if (name.includes("/") || name.includes("\\")) {
    throw new StorageKeyError(
      `file name ${describe(filename)} contains a path separator; send the bare file name`,
    );
  }
  if (/^[A-Za-z]:/.test(name)) {
    throw new StorageKeyError(`file name ${describe(filename)} looks like a drive path`);
  }
  if (name.trim() !== name) {
    throw new StorageKeyError(`file name ${describe(filename)} starts or ends with white space`);
  }
  const problem = segmentProblem(name);
  if (problem) throw new StorageKeyError(`file name ${describe(filename)} ${problem}`);
  return name;
}

export type TArtifactKeyParts = {
  userId: string;
  modelName: string;
  versionTag: string;
  filename: string;
};

function assertIdSegment(what: string, value: string): void {
  if (!ID_SEGMENT.test(value)) {
    throw new StorageKeyError(
      `${what} ${describe(value)} must be 1–128 letters, digits, '.', '_' or '-' starting with a letter or digit`,
    );
  }
}

/** `models/{userId}/{modelName}/{versionTag}/{filename}`, every part validated. */
export function artifactKey(parts: TArtifactKeyParts): string {
  assertIdSegment("user id", parts.userId);
  assertIdSegment("model name", parts.modelName);
  assertIdSegment("version tag", parts.versionTag);
  const filename = assertSafeFilename(parts.filename);
  return assertValidKey(
    `models/${parts.userId}/${parts.modelName}/${parts.versionTag}/${filename}`,
  );
}

/** Where the tus stores keep upload `id` (and its bookkeeping next to it). */
export const UPLOADS_PREFIX = "uploads/";
const UPLOAD_ID = /^[A-Za-z0-9_-]{16,128}$/;

export function assertUploadId(uploadId: string): string {
  if (!UPLOAD_ID.test(uploadId)) {
    throw new StorageKeyError(`upload id ${describe(uploadId)} is not a valid upload id`);
  }
  return uploadId;
}
