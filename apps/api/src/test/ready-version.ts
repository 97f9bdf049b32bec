import { createHash } from "node:crypto";
import { createReadStream, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import type { Prisma } from "@kubeserve/db";
import { artifactKey } from "@kubeserve/storage";
import type { TDeps } from "../deps";
import { findUploadTarget } from "../services/artifact.service";
import { receiveArtifact } from "../services/upload.service";
import { irisModelPath, irisSignature } from "./fixtures";

// The one place tests get a `ready` (or `failed`) ONNX version. By default it goes through the real upload (streamed into
// the store, inspected in its child process, signature recorded). A file the upload would refuse (a model
// that crashes the runtime) is written where an upload would put it, with what an upload records, so tests
// can see what a runtime does with it.

async function actorOf(deps: TDeps, userId: string) {
  const user = await deps.db.user.findUniqueOrThrow({
    where: { id: userId },
    select: { email: true, role: true },
  });
  return { id: userId, ...user, via: "access_token" as const };
}

/**
 * A `failed` version the way production gets one: the real upload of a file that is not a usable ONNX
 * model, refused by inspection. Returns the refusal's message.
 */
export async function seedFailedVersion(
  deps: TDeps,
  options: { userId: string; versionId: string },
): Promise<string> {
  const actor = await actorOf(deps, options.userId);
  const target = await findUploadTarget(deps, actor, options.versionId);
  const body = Buffer.from("this is not an ONNX model");
  try {
    await receiveArtifact(deps, actor, target, Readable.from([body]), {
      filename: "model.onnx",
      declaredSize: body.length,
    });
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("the upload of a file that is not ONNX succeeded");
}

/** The real upload of `file` (ONNX or scikit-learn, by extension): scanned, inspected, then `ready`. */
export async function uploadVersionFile(
  deps: TDeps,
  options: { userId: string; versionId: string; file: string },
): Promise<void> {
  const actor = await actorOf(deps, options.userId);
  const target = await findUploadTarget(deps, actor, options.versionId);
  const version = await receiveArtifact(deps, actor, target, createReadStream(options.file), {
    filename: path.basename(options.file),
    declaredSize: statSync(options.file).size,
  });
  if (version.status !== "ready") throw new Error(`upload left the version ${version.status}`);
}

export async function seedReadyVersion(
  deps: TDeps,
  options: { userId: string; versionId: string; file?: string; signature?: object },
): Promise<void> {
  if (!options.file && !options.signature) {
    await uploadVersionFile(deps, { ...options, file: irisModelPath });
    return;
  }
  const file = options.file ?? irisModelPath;
  const version = await deps.db.modelVersion.findUniqueOrThrow({
    where: { id: options.versionId },
    select: { tag: true, model: { select: { name: true } } },
  });
  const filename = path.basename(file);
  const key = artifactKey({
    userId: options.userId,
    modelName: version.model.name,
    versionTag: version.tag,
    filename,
  });
  const stored = await deps.storage.put(key, createReadStream(file));
  const sha256 = createHash("sha256").update(readFileSync(file)).digest("hex");
  if (stored.sha256 !== sha256) throw new Error("stored artifact differs from the fixture");
  await deps.db.modelVersion.update({
    where: { id: options.versionId },
    data: {
      status: "ready",
      artifactUri: key,
      artifactFilename: filename,
      artifactSize: BigInt(stored.size),
      artifactSha256: sha256,
      signature: (options.signature ?? irisSignature) as Prisma.InputJsonObject,
    },
    select: { id: true },
  });
}
