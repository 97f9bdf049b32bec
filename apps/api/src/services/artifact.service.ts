import { randomBytes } from "node:crypto";
import path from "node:path";
import { Readable } from "node:stream";
import { Prisma } from "@kubeserve/db";
import {
  artifactKey,
  assertSafeFilename,
  isUnavailable,
  StorageKeyError,
  StorageSizeError,
  StorageSourceError,
} from "@kubeserve/storage";
import type { TDeps } from "../deps";
import { DomainError } from "../lib/errors";
import type { TSignature, TVersion } from "../schemas/version";
import type { TActor } from "./auth.service";
import { inspectStoredOnnx } from "./onnx-inspect.service";
import { checkRequirementsText, inspectStoredSklearn } from "./sklearn-inspect.service";
import { getVersion, versionScope } from "./version.service";

// Putting a file into a version: who may, which files, one upload at a time, and what "done" means.

const frameworkByExtension: Record<string, "onnx" | "sklearn"> = {
  ".onnx": "onnx",
  ".joblib": "sklearn",
  ".pkl": "sklearn",
  ".pickle": "sklearn",
};

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A one-shot claim lapses this long after its last byte, so a crashed API does not lock a version. */
const claimLeaseMs = 120_000;

const targetSelect = {
  id: true,
  tag: true,
  status: true,
  framework: true,
  artifactUri: true,
  requirementsUri: true,
  model: { select: { name: true, ownerId: true } },
} as const;

export type TUploadTarget = Prisma.ModelVersionGetPayload<{ select: typeof targetSelect }>;

/** The caller's version, or 404 for one that is unknown or someone else's (the same answer for both). */
export async function findUploadTarget(
  deps: TDeps,
  actor: TActor,
  versionId: string,
): Promise<TUploadTarget> {
  const row = uuidPattern.test(versionId)
    ? await deps.db.modelVersion.findFirst({
        where: { id: versionId.toLowerCase(), ...versionScope(actor) },
        select: targetSelect,
      })
    : null;
  if (!row) throw new DomainError("NOT_FOUND", "Version not found");
  return row;
}

export function assertNotReady(target: Pick<TUploadTarget, "status" | "tag">): void {
  if (target.status === "ready") {
    throw new DomainError(
      "CONFLICT",
      `Version '${target.tag}' is ready and immutable; create a new version to upload another file`,
    );
  }
}

/** A safe bare file name whose extension fits the version's framework. */
export function checkArtifactFilename(target: TUploadTarget, filename: string | undefined): string {
  if (filename === undefined || filename === "") {
    throw new DomainError(
      "BAD_REQUEST",
      "Name the file: add ?filename=model.onnx or a Content-Disposition header with filename",
    );
  }
  let name: string;
  try {
    name = assertSafeFilename(filename);
  } catch (error) {
    throw new DomainError("BAD_REQUEST", `Invalid file name: ${(error as Error).message}`);
  }
  const extension = path.extname(name).toLowerCase();
  const framework = frameworkByExtension[extension];
  if (!framework) {
    throw new DomainError(
      "BAD_REQUEST",
      `File '${name}' has ${extension ? `extension '${extension}'` : "no extension"}; a model file must end in .onnx, .joblib, .pkl or .pickle`,
    );
  }
  if (framework !== target.framework) {
    const expected = target.framework === "onnx" ? ".onnx" : ".joblib, .pkl or .pickle";
    throw new DomainError(
      "BAD_REQUEST",
      `Version '${target.tag}' is a ${target.framework} version: upload a ${expected} file, not '${name}'`,
    );
  }
  return name;
}

export function keyFor(target: TUploadTarget, filename: string): string {
  return artifactKey({
    userId: target.model.ownerId,
    modelName: target.model.name,
    versionTag: target.tag,
    filename,
  });
}

export type TClaim = { id: string; release: () => Promise<void> };

function isUniqueViolation(error: unknown): boolean {
  if (error instanceof Prisma.PrismaClientKnownRequestError) return error.code === "P2002";
  return (error as { code?: unknown } | null)?.code === "23505";
}

function uploadInProgress(tag: string): DomainError {
  return new DomainError(
    "CONFLICT",
    `Another upload to version '${tag}' is in progress; wait for it to finish (or cancel it) and retry`,
  );
}

/**
 * Takes the version's one upload slot (an `artifact_uploads` row, unique per version) or fails with 409.
 * The status is read again after the insert, so an upload that finished meanwhile is seen as `ready`.
 */
export async function claimUpload(
  deps: TDeps,
  actor: TActor,
  target: TUploadTarget,
  claim: { kind: "oneshot" | "tus"; id?: string; filename: string; size?: number; ttlMs?: number },
): Promise<TClaim> {
  const id = claim.id ?? randomBytes(16).toString("hex");
  const ttlMs = claim.ttlMs ?? claimLeaseMs;
  await deps.db.artifactUpload.deleteMany({
    where: { versionId: target.id, kind: "oneshot", expiresAt: { lt: new Date() } },
  });
  try {
    await deps.db.artifactUpload.create({
      data: {
        id,
        versionId: target.id,
        userId: actor.id,
        kind: claim.kind,
        filename: claim.filename,
        size: claim.size === undefined ? null : BigInt(claim.size),
        expiresAt: new Date(Date.now() + ttlMs),
      },
      select: { id: true },
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw uploadInProgress(target.tag);
    throw error;
  }
  const release = async () => {
    await deps.db.artifactUpload.deleteMany({ where: { id } });
  };
  const current = await deps.db.modelVersion.findUnique({
    where: { id: target.id },
    select: { status: true },
  });
  if (current?.status !== "pending_upload" && current?.status !== "failed") {
    await release();
    if (!current) throw new DomainError("NOT_FOUND", "Version not found");
    assertNotReady({ status: current.status, tag: target.tag });
  }
  return { id, release };
}

/** Keeps a one-shot claim alive while its bytes flow; returns the function that stops it. */
export function keepClaimAlive(deps: TDeps, claim: TClaim): () => void {
  const timer = setInterval(() => {
    deps.db.artifactUpload
      .updateMany({
        where: { id: claim.id },
        data: { expiresAt: new Date(Date.now() + claimLeaseMs) },
      })
      .catch((error: unknown) => deps.log.warn({ err: error }, "upload claim refresh failed"));
  }, claimLeaseMs / 4);
  timer.unref();
  return () => clearInterval(timer);
}

function formatBytes(bytes: number): string {
  return bytes >= 1_048_576
    ? `${bytes} bytes (${Math.round(bytes / 1_048_576)} MiB)`
    : `${bytes} bytes`;
}

export function tooLargeError(what: string, limit: number): DomainError {
  return new DomainError(
    "PAYLOAD_TOO_LARGE",
    `${what} exceeds the limit of ${formatBytes(limit)}; nothing was stored`,
  );
}

/** Storage failures as the client should see them; nothing was stored in any of these cases. */
export function toUploadError(error: unknown, what = "The file"): unknown {
  if (error instanceof StorageSizeError) {
    if (error.reason === "too-large") return tooLargeError(what, error.limit ?? 0);
    return new DomainError(
      "BAD_REQUEST",
      `${what} does not match its declared length (${error.message}); nothing was stored`,
    );
  }
  if (error instanceof StorageSourceError) {
    return new DomainError(
      "BAD_REQUEST",
      `The upload stopped before the end of the body; nothing was stored, send it again`,
    );
  }
  if (error instanceof StorageKeyError) return new DomainError("BAD_REQUEST", error.message);
  if (isUnavailable(error)) {
    return new DomainError(
      "SERVICE_UNAVAILABLE",
      "Artifact storage is unreachable; nothing was stored, retry in a moment",
      { retryAfterSeconds: 5 },
    );
  }
  return error;
}

export type TStoredArtifact = { key: string; filename: string; size: number; sha256: string };

export type TCheckedArtifact = TStoredArtifact & {
  signature: TSignature | null;
  /** e.g. a scikit-learn version other than the runtime's; shown as the ready version's message */
  warnings?: string[];
};

/**
 * Validates a stored file: an empty file, an invalid ONNX model or a pickle the scan refuses (or that does
 * not load as an estimator in the sandbox) is removed and refused, and the version marked failed with why.
 */
export async function checkStoredArtifact(
  deps: TDeps,
  target: TUploadTarget,
  stored: TStoredArtifact,
): Promise<TCheckedArtifact> {
  if (stored.size === 0) {
    await deps.storage.delete(stored.key);
    throw new DomainError("BAD_REQUEST", `File '${stored.filename}' is empty; nothing was stored`);
  }
  const isOnnx = target.framework === "onnx";
  const inspection = isOnnx
    ? await inspectStoredOnnx(deps, stored.key)
    : await inspectStoredSklearn(deps, stored.key);
  if (inspection.isValid) {
    const warnings = "warnings" in inspection ? (inspection.warnings as string[]) : [];
    return { ...stored, signature: inspection.signature, warnings };
  }
  await deps.storage.delete(stored.key);
  const reason = isOnnx
    ? `'${stored.filename}' is not a usable ONNX model: ${inspection.reason}`
    : `'${stored.filename}' was refused: ${inspection.reason}`;
  await deps.db.modelVersion.updateMany({
    where: { id: target.id, status: { not: "ready" } },
    data: { status: "failed", statusMessage: reason.slice(0, 2000) },
  });
  throw new DomainError("BAD_REQUEST", `${reason}; the version is marked failed`);
}

export type TStoredRequirements = { key: string; sha256: string };

/** The version takes its checked artifact and becomes `ready` (with any warning as its message). */
export async function commitArtifact(
  deps: TDeps,
  actor: TActor,
  target: TUploadTarget,
  artifact: TCheckedArtifact,
  requirements?: TStoredRequirements,
): Promise<TVersion> {
  const warnings = artifact.warnings ?? [];
  const result = await deps.db.modelVersion.updateMany({
    where: { id: target.id, status: { not: "ready" } },
    data: {
      status: "ready",
      statusMessage: warnings.length > 0 ? `warning: ${warnings.join("; ")}`.slice(0, 2000) : null,
      artifactUri: artifact.key,
      artifactFilename: artifact.filename,
      artifactSize: BigInt(artifact.size),
      artifactSha256: artifact.sha256,
      signature: artifact.signature ?? Prisma.DbNull,
      ...(requirements
        ? { requirementsUri: requirements.key, requirementsSha256: requirements.sha256 }
        : {}),
    },
  });
  if (result.count === 0) {
    // Deleted (or made ready by someone else) while the file streamed: keep nothing nobody points at.
    await deps.storage.delete(artifact.key);
    throw new DomainError("NOT_FOUND", "Version not found (deleted during the upload)");
  }
  if (target.artifactUri && target.artifactUri !== artifact.key) {
    await deps.storage.delete(target.artifactUri).catch((error: unknown) => {
      deps.log.warn(
        { err: error, key: target.artifactUri },
        "could not remove the replaced artifact",
      );
    });
  }
  return getVersion(deps, actor, { id: target.id });
}

/** requirements.txt: UTF-8 text without NUL, stored beside the artifact. */
export async function storeRequirements(
  deps: TDeps,
  target: TUploadTarget,
  text: Buffer,
): Promise<TStoredRequirements> {
  if (target.framework !== "sklearn") {
    throw new DomainError(
      "BAD_REQUEST",
      `requirements.txt applies to scikit-learn versions; version '${target.tag}' is ${target.framework}`,
    );
  }
  if (text.includes(0)) {
    throw new DomainError("BAD_REQUEST", "requirements.txt must be text; it contains NUL bytes");
  }
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(text);
  } catch {
    throw new DomainError("BAD_REQUEST", "requirements.txt must be UTF-8 text");
  }
  const check = await checkRequirementsText(
    deps.config.sklearn,
    text,
    deps.config.uploads.requirementsMaxBytes,
  );
  if (!check.isValid) throw new DomainError("BAD_REQUEST", `${check.reason}; nothing was stored`);
  const key = keyFor(target, "requirements.txt");
  try {
    const put = await deps.storage.put(key, Readable.from([text]), {
      size: text.length,
      contentType: "text/plain; charset=utf-8",
    });
    return { key, sha256: put.sha256 };
  } catch (error) {
    throw toUploadError(error, "requirements.txt");
  }
}

/** PUT /requirements: a separate small upload, allowed while a model upload (e.g. tus) is running. */
export async function commitRequirements(
  deps: TDeps,
  actor: TActor,
  target: TUploadTarget,
  text: Buffer,
): Promise<TVersion> {
  assertNotReady(target);
  const stored = await storeRequirements(deps, target, text);
  const result = await deps.db.modelVersion.updateMany({
    where: { id: target.id, status: { not: "ready" } },
    data: { requirementsUri: stored.key, requirementsSha256: stored.sha256 },
  });
  if (result.count === 0) {
    throw new DomainError("CONFLICT", `Version '${target.tag}' became ready during the upload`);
  }
  return getVersion(deps, actor, { id: target.id });
}
