import type { TDeps } from "../deps";
import { generateApiKey, hashApiKey } from "../lib/api-key-secret";
import { DomainError } from "../lib/errors";
import type { TApiKey, TCreateApiKeyInput } from "../schemas/api-key";
import type { TActor } from "./auth.service";

const apiKeySelect = {
  id: true,
  userId: true,
  name: true,
  prefix: true,
  createdAt: true,
  expiresAt: true,
  lastUsedAt: true,
  revokedAt: true,
  kind: true,
  deploymentIds: true,
} as const;

type TApiKeyRow = {
  id: string;
  userId: string;
  name: string;
  prefix: string;
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  kind: "management" | "predict";
  deploymentIds: string[];
};

function toApiKey(row: TApiKeyRow): TApiKey {
  return {
    ...row,
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt?.toISOString() ?? null,
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
  };
}

/** Admins manage every key; everyone else only their own. */
function keyScope(actor: TActor) {
  return actor.role === "admin" ? {} : { userId: actor.id };
}

export async function createApiKey(
  deps: TDeps,
  actor: TActor,
  input: TCreateApiKeyInput,
): Promise<{ apiKey: TApiKey; secret: string }> {
  const expiresAt = input.expiresAt ? new Date(input.expiresAt) : null;
  if (expiresAt && expiresAt.getTime() <= Date.now()) {
    throw new DomainError("BAD_REQUEST", "expiresAt must be in the future");
  }
  const deploymentIds = [...new Set(input.deploymentIds.map((id) => id.toLowerCase()))];
  if (deploymentIds.length > 0) {
    const owned = await deps.db.deployment.count({
      where: { id: { in: deploymentIds }, ownerId: actor.id },
    });
    if (owned !== deploymentIds.length) {
      throw new DomainError("NOT_FOUND", "deploymentIds: a listed deployment was not found");
    }
  }
  const { key, prefix } = generateApiKey();
  const row = await deps.db.apiKey.create({
    data: {
      userId: actor.id,
      name: input.name,
      prefix,
      keyHash: hashApiKey(key),
      expiresAt,
      kind: input.kind,
      deploymentIds,
    },
    select: apiKeySelect,
  });
  return { apiKey: toApiKey(row), secret: key };
}

export async function listApiKeys(
  deps: TDeps,
  actor: TActor,
  input: { includeRevoked: boolean },
): Promise<TApiKey[]> {
  const rows = await deps.db.apiKey.findMany({
    where: { ...keyScope(actor), ...(input.includeRevoked ? {} : { revokedAt: null }) },
    select: apiKeySelect,
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: 1000,
  });
  return rows.map(toApiKey);
}

export async function revokeApiKey(deps: TDeps, actor: TActor, id: string): Promise<TApiKey> {
  const existing = await deps.db.apiKey.findFirst({
    where: { id, ...keyScope(actor) },
    select: apiKeySelect,
  });
  if (!existing) throw new DomainError("NOT_FOUND", "API key not found");
  if (existing.revokedAt) return toApiKey(existing);
  const row = await deps.db.apiKey.update({
    where: { id },
    data: { revokedAt: new Date() },
    select: apiKeySelect,
  });
  return toApiKey(row);
}
