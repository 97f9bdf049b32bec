import { createHash } from "node:crypto";
import { createReadStream, readFileSync } from "node:fs";
import path from "node:path";
import type { Prisma } from "@kubeserve/db";
import { artifactKey } from "@kubeserve/storage";
import type { TDeps } from "../deps";
import { irisModelPath, irisSignature } from "./fixtures";

// The one place tests get a `ready` ONNX version until the upload route lands: it stores the file where
// an upload would (`artifactKey`) and records what an upload records. Switch its body to the real upload.

export async function seedReadyVersion(
  deps: TDeps,
  options: { userId: string; versionId: string; file?: string; signature?: object },
): Promise<void> {
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
