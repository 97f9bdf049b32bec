import type { TDeps } from "../deps";

// Objects and uploads no row points at: left by a crash between storing and committing, by a failed
// delete, or by an abandoned upload. The sweep runs periodically (UPLOAD_SWEEP_MINUTES) in every API
// replica; each step is idempotent, so replicas sweeping at once do no harm.

const batchSize = 500;
/** Objects younger than this are left alone: an upload stores its file before it commits the row. */
export const defaultSweepGraceMs = 6 * 3_600_000;

export type TSweepResult = { objects: number; uploads: number };

async function removeUnreferenced(deps: TDeps, batch: string[]): Promise<number> {
  const rows = await deps.db.modelVersion.findMany({
    where: { OR: [{ artifactUri: { in: batch } }, { requirementsUri: { in: batch } }] },
    select: { artifactUri: true, requirementsUri: true },
  });
  const referenced = new Set(rows.flatMap((row) => [row.artifactUri, row.requirementsUri]));
  let removed = 0;
  for (const key of batch) {
    if (referenced.has(key)) continue;
    await deps.storage.delete(key);
    removed += 1;
  }
  return removed;
}

export async function sweepArtifacts(
  deps: TDeps,
  options: { graceMs?: number; onExpiredUploads?: () => Promise<number> } = {},
): Promise<TSweepResult> {
  const cutoff = Date.now() - (options.graceMs ?? defaultSweepGraceMs);
  let objects = 0;
  let batch: string[] = [];
  for await (const object of deps.storage.list("models/")) {
    if (object.lastModified.getTime() > cutoff) continue;
    batch.push(object.key);
    if (batch.length >= batchSize) {
      objects += await removeUnreferenced(deps, batch);
      batch = [];
    }
  }
  if (batch.length > 0) objects += await removeUnreferenced(deps, batch);
  const expired = await deps.db.artifactUpload.deleteMany({
    where: { expiresAt: { lt: new Date() } },
  });
  const tusRemoved = (await options.onExpiredUploads?.()) ?? 0;
  return { objects, uploads: expired.count + tusRemoved };
}
