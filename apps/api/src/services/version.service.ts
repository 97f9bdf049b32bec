import type { Prisma } from "@kubeserve/db";
import type { TDeps } from "../deps";
import { decodeCursor, encodeCursor } from "../lib/cursor";
import { DomainError } from "../lib/errors";
import type {
  TCreateVersionInput,
  TGetVersionInput,
  TListVersionsInput,
  TSignature,
  TUpdateVersionInput,
  TVersion,
} from "../schemas/version";
import { readStoredMetadata } from "../schemas/metadata";
import type { TActor } from "./auth.service";
import { clearDeploymentsBeforeDelete } from "./delete-guard";
import { findModel, modelScope } from "./model.service";

const versionSelect = {
  id: true,
  modelId: true,
  tag: true,
  description: true,
  framework: true,
  metadata: true,
  status: true,
  statusMessage: true,
  artifactUri: true,
  artifactFilename: true,
  artifactSize: true,
  artifactSha256: true,
  requirementsUri: true,
  requirementsSha256: true,
  signature: true,
  createdAt: true,
  updatedAt: true,
} as const;

type TVersionRow = Prisma.ModelVersionGetPayload<{ select: typeof versionSelect }>;

function toVersion(row: TVersionRow): TVersion {
  const hasArtifact =
    row.artifactUri !== null &&
    row.artifactFilename !== null &&
    row.artifactSize !== null &&
    row.artifactSha256 !== null;
  return {
    id: row.id,
    modelId: row.modelId,
    tag: row.tag,
    description: row.description,
    framework: row.framework,
    metadata: readStoredMetadata(row.metadata ?? {}),
    status: row.status,
    statusMessage: row.statusMessage,
    artifact: hasArtifact
      ? {
          uri: row.artifactUri as string,
          filename: row.artifactFilename as string,
          size: Number(row.artifactSize),
          sha256: row.artifactSha256 as string,
        }
      : null,
    requirements:
      row.requirementsUri !== null && row.requirementsSha256 !== null
        ? { uri: row.requirementsUri, sha256: row.requirementsSha256 }
        : null,
    signature: (row.signature ?? null) as TSignature | null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export function versionScope(actor: TActor): Prisma.ModelVersionWhereInput {
  return actor.role === "admin" ? {} : { model: modelScope(actor) };
}

async function findVersion(
  deps: TDeps,
  actor: TActor,
  input: TGetVersionInput,
): Promise<TVersionRow> {
  const where: Prisma.ModelVersionWhereInput =
    "id" in input
      ? { id: input.id, ...versionScope(actor) }
      : { modelId: input.modelId, tag: input.tag, ...versionScope(actor) };
  const row = await deps.db.modelVersion.findFirst({ where, select: versionSelect });
  if (!row) throw new DomainError("NOT_FOUND", "Version not found");
  return row;
}

export async function createVersion(
  deps: TDeps,
  actor: TActor,
  input: TCreateVersionInput,
): Promise<TVersion> {
  const model = await findModel(deps, actor, { id: input.modelId });
  const existing = await deps.db.modelVersion.findUnique({
    where: { modelId_tag: { modelId: model.id, tag: input.tag } },
    select: { id: true },
  });
  if (existing) {
    throw new DomainError(
      "CONFLICT",
      `Model '${model.name}' already has a version tagged '${input.tag}'`,
    );
  }
  const [row] = await deps.db.$transaction([
    deps.db.modelVersion.create({
      data: {
        modelId: model.id,
        tag: input.tag,
        framework: input.framework,
        description: input.description,
        metadata: input.metadata as Prisma.InputJsonObject,
      },
      select: versionSelect,
    }),
    // A new version counts as activity on the model, so "recently updated" sorts it first.
    deps.db.model.update({
      where: { id: model.id },
      data: { updatedAt: new Date() },
      select: { id: true },
    }),
  ]);
  return toVersion(row);
}

export async function listVersions(deps: TDeps, actor: TActor, input: TListVersionsInput) {
  const model = await findModel(deps, actor, { id: input.modelId });
  const where: Prisma.ModelVersionWhereInput = { modelId: model.id };
  if (input.cursor) {
    const cursor = decodeCursor(input.cursor, "date");
    where.OR = [
      { createdAt: { lt: cursor.value } },
      { createdAt: cursor.value, id: { lt: cursor.id } },
    ];
  }
  const rows = await deps.db.modelVersion.findMany({
    where,
    select: versionSelect,
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: input.limit + 1,
  });
  const hasMore = rows.length > input.limit;
  const page = hasMore ? rows.slice(0, input.limit) : rows;
  const last = page.at(-1);
  return {
    items: page.map(toVersion),
    nextCursor: hasMore && last ? encodeCursor(last.createdAt, last.id) : null,
  };
}

export async function getVersion(
  deps: TDeps,
  actor: TActor,
  input: TGetVersionInput,
): Promise<TVersion> {
  return toVersion(await findVersion(deps, actor, input));
}

export async function updateVersion(
  deps: TDeps,
  actor: TActor,
  input: TUpdateVersionInput,
): Promise<TVersion> {
  const version = await findVersion(deps, actor, { id: input.id });
  const row = await deps.db.modelVersion.update({
    where: { id: version.id },
    data: {
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(input.metadata !== undefined
        ? { metadata: input.metadata as Prisma.InputJsonObject }
        : {}),
    },
    select: versionSelect,
  });
  return toVersion(row);
}

export async function deleteVersion(deps: TDeps, actor: TActor, id: string): Promise<void> {
  const version = await findVersion(deps, actor, { id });
  await deps.db.$transaction(async (tx) => {
    await clearDeploymentsBeforeDelete(
      tx,
      { versionId: version.id },
      {
        label: `Version '${version.tag}'`,
        noun: "version",
      },
    );
    await tx.modelVersion.delete({ where: { id: version.id }, select: { id: true } });
  });
  // After the row is gone; an object left by a failure here is removed by the orphan sweep.
  for (const key of [version.artifactUri, version.requirementsUri]) {
    if (!key) continue;
    await deps.storage.delete(key).catch((error: unknown) => {
      deps.log.warn(
        { err: error, key },
        "could not remove a deleted version's object (the sweep will)",
      );
    });
  }
}
