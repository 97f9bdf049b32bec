import type { Readable } from "node:stream";
import type { TDeps } from "../deps";
import { DomainError } from "../lib/errors";
import type { TVersion } from "../schemas/version";
import {
  assertNotReady,
  checkArtifactFilename,
  checkStoredArtifact,
  claimUpload,
  commitArtifact,
  keepClaimAlive,
  keyFor,
  storeRequirements,
  tooLargeError,
  toUploadError,
  type TStoredRequirements,
  type TUploadTarget,
} from "./artifact.service";
import type { TActor } from "./auth.service";
import { getVersion } from "./version.service";

export type TReceiveOptions = {
  filename: string | undefined;
  /** the body's declared length, when the client declared one */
  declaredSize?: number | undefined;
  /** resolves with requirements.txt (multipart sends it beside the file, possibly after it) */
  requirements?: () => Promise<Buffer | undefined>;
};

/**
 * One-shot upload: claims the version, streams `body` into the store (hashing as it goes), validates the
 * file and commits it. Every failure leaves no object and no claim behind, and the version as it was
 * (or `failed` with the reason, for a file that is not a usable model).
 */
export async function receiveArtifact(
  deps: TDeps,
  actor: TActor,
  target: TUploadTarget,
  body: Readable,
  options: TReceiveOptions,
): Promise<TVersion> {
  assertNotReady(target);
  const filename = checkArtifactFilename(target, options.filename);
  const { maxBytes } = deps.config.uploads;
  if (options.declaredSize === 0) {
    throw new DomainError("BAD_REQUEST", `File '${filename}' is empty; nothing was stored`);
  }
  if (options.declaredSize !== undefined && options.declaredSize > maxBytes) {
    throw tooLargeError("The file", maxBytes);
  }
  const claim = await claimUpload(deps, actor, target, {
    kind: "oneshot",
    filename,
    size: options.declaredSize,
  });
  const stopRefreshing = keepClaimAlive(deps, claim);
  try {
    const key = keyFor(target, filename);
    let put;
    try {
      put = await deps.storage.put(key, body, {
        size: options.declaredSize,
        maxBytes,
        contentType: "application/octet-stream",
      });
    } catch (error) {
      throw toUploadError(error);
    }
    const checked = await checkStoredArtifact(deps, target, {
      key,
      filename,
      size: put.size,
      sha256: put.sha256,
    });
    let requirements: TStoredRequirements | undefined;
    try {
      const text = await options.requirements?.();
      if (text) requirements = await storeRequirements(deps, target, text);
    } catch (error) {
      await deps.storage.delete(key);
      throw error;
    }
    return await commitArtifact(deps, actor, target, checked, requirements);
  } finally {
    stopRefreshing();
    await claim.release();
  }
}

async function readTusOffset(deps: TDeps, uploadId: string): Promise<number | null> {
  try {
    return (await deps.tus.getUpload(uploadId)).offset;
  } catch {
    return null;
  }
}

export type TUploadState = "idle" | "uploading" | "stored" | "ready" | "failed";

export type TUploadStatus = {
  state: TUploadState;
  kind: "oneshot" | "tus" | null;
  /** bytes received so far, where the upload reports it (tus); null otherwise */
  offset: number | null;
  /** the declared length of the upload in progress, or the stored artifact's size */
  size: number | null;
  expiresAt: string | null;
  message: string | null;
};

/** Where the version's upload stands, for progress displays and for clients deciding to resume. */
export async function getUploadStatus(
  deps: TDeps,
  actor: TActor,
  versionId: string,
): Promise<TUploadStatus> {
  const version = await getVersion(deps, actor, { id: versionId });
  const upload = await deps.db.artifactUpload.findUnique({
    where: { versionId: version.id },
    select: { id: true, kind: true, size: true, expiresAt: true },
  });
  if (upload && upload.expiresAt.getTime() > Date.now()) {
    return {
      state: "uploading",
      kind: upload.kind,
      offset: upload.kind === "tus" ? await readTusOffset(deps, upload.id) : null,
      size: upload.size === null ? null : Number(upload.size),
      expiresAt: upload.expiresAt.toISOString(),
      message: null,
    };
  }
  const state: TUploadState =
    version.status === "ready"
      ? "ready"
      : version.status === "failed"
        ? "failed"
        : version.artifact
          ? "stored"
          : "idle";
  return {
    state,
    kind: null,
    offset: version.artifact?.size ?? null,
    size: version.artifact?.size ?? null,
    expiresAt: null,
    message: version.statusMessage,
  };
}
