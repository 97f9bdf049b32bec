import { createHash, randomBytes } from "node:crypto";
import { pipeline } from "node:stream/promises";
import { StorageError, StorageNotFoundError } from "./errors";
import { assertUploadId, assertValidKey, UPLOADS_PREFIX } from "./keys";
import type { TArtifactStore, TObjectInfo, TPutResult } from "./types";

/** tus upload ids: 32 hex characters from the CSPRNG (never a storage key, never guessable). */
export function createUploadId(): string {
  return randomBytes(16).toString("hex");
}

export function uploadKey(uploadId: string): string {
  return `${UPLOADS_PREFIX}${assertUploadId(uploadId)}`;
}

/** tus stores throw plain `{ status_code, body }` objects; 404/410 mean the upload is gone. */
export function isTusNotFound(error: unknown): boolean {
  const status = (error as { status_code?: unknown } | null)?.status_code;
  return status === 404 || status === 410;
}

export async function hashObject(store: TArtifactStore, key: string): Promise<string> {
  const { body } = await store.get(key);
  const hash = createHash("sha256");
  await pipeline(body, hash);
  return hash.digest("hex");
}

export type TFinishInput = {
  store: TArtifactStore;
  uploadId: string;
  finalKey: string;
  getUpload: () => Promise<{ size?: number | undefined; offset: number }>;
  takeHash: (size: number) => string | undefined;
  beforeMove?: (key: string) => Promise<void>;
  removeBookkeeping: (key: string) => Promise<void>;
};

/** Shared by both drivers: check the upload is whole, hash it (or reuse the running hash), move it. */
export async function finishUpload(input: TFinishInput): Promise<TPutResult> {
  const key = uploadKey(input.uploadId);
  assertValidKey(input.finalKey);
  let upload: { size?: number | undefined; offset: number };
  try {
    upload = await input.getUpload();
  } catch (error) {
    if (isTusNotFound(error)) throw new StorageNotFoundError(key);
    throw error;
  }
  if (upload.size === undefined || upload.offset !== upload.size) {
    throw new StorageError(
      `upload ${input.uploadId} is not complete: ${upload.offset} of ${upload.size ?? "unknown"} bytes received`,
    );
  }
  const info = await input.store.stat(key);
  if (!info) throw new StorageNotFoundError(key);
  if (info.size !== upload.size) {
    throw new StorageError(
      `upload ${input.uploadId} holds ${info.size} bytes but declared ${upload.size}`,
    );
  }
  const sha256 = input.takeHash(info.size) ?? (await hashObject(input.store, key));
  await input.beforeMove?.(key);
  await input.store.move(key, input.finalKey);
  await input.removeBookkeeping(key);
  const moved = await input.store.stat(input.finalKey);
  return { key: input.finalKey, size: info.size, sha256, etag: moved?.etag ?? info.etag };
}

/**
 * Removes what is left under uploads/ for ids nobody touched within `maxIdleMs` (finished uploads
 * never moved because the API stopped, files without bookkeeping), skipping ids still active.
 */
export async function sweepLeftovers(
  store: TArtifactStore,
  maxIdleMs: number,
  isActive: (uploadKey: string) => boolean = () => false,
): Promise<number> {
  if (maxIdleMs <= 0) return 0;
  const groups = new Map<string, TObjectInfo[]>();
  for await (const object of store.list(UPLOADS_PREFIX)) {
    const name = object.key.slice(UPLOADS_PREFIX.length);
    const id = name.split(".")[0] ?? name;
    if (name.includes("/") || !id) continue;
    const group = groups.get(id) ?? [];
    group.push(object);
    groups.set(id, group);
  }
  const cutoff = Date.now() - maxIdleMs;
  let removed = 0;
  for (const [id, objects] of groups) {
    if (isActive(`${UPLOADS_PREFIX}${id}`)) continue;
    if (objects.some((o) => o.lastModified.getTime() >= cutoff)) continue;
    for (const object of objects) await store.delete(object.key);
    removed += 1;
  }
  return removed;
}
