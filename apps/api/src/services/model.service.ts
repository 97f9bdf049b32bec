import type { Prisma } from "@kubeserve/db";
import type { TDeps } from "../deps";
import { decodeCursor, encodeCursor } from "../lib/cursor";
import { DomainError } from "../lib/errors";
import type {
  TCreateModelInput,
  TGetModelInput,
  TListModelsInput,
  TModel,
  TModelListItem,
  TModelPage,
  TUpdateModelInput,
} from "../schemas/model";
import type { TActor } from "./auth.service";
import { clearDeploymentsBeforeDelete } from "./delete-guard";

const modelSelect = {
  id: true,
  ownerId: true,
  name: true,
  description: true,
  tags: true,
  createdAt: true,
  updatedAt: true,
  _count: { select: { versions: true } },
} as const;

type TModelRow = Prisma.ModelGetPayload<{ select: typeof modelSelect }>;

function toModel(row: TModelRow): TModel {
  const { _count, ...rest } = row;
  return {
    ...rest,
    versionCount: _count.versions,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** Admins see every model; everyone else only their own, and another user's id is simply not found. */
export function modelScope(actor: TActor): Prisma.ModelWhereInput {
  return actor.role === "admin" ? {} : { ownerId: actor.id };
}

export async function createModel(
  deps: TDeps,
  actor: TActor,
  input: TCreateModelInput,
): Promise<TModel> {
  const existing = await deps.db.model.findUnique({
    where: { ownerId_name: { ownerId: actor.id, name: input.name } },
    select: { id: true },
  });
  if (existing) throw new DomainError("CONFLICT", `You already have a model named '${input.name}'`);
  const row = await deps.db.model.create({
    data: { ownerId: actor.id, name: input.name, description: input.description, tags: input.tags },
    select: modelSelect,
  });
  return toModel(row);
}

// Names hold only these characters, so any other search can match nothing (and never reaches LIKE).
const searchablePattern = /^[a-z0-9-]*$/;

const sortColumns = { name: "m.name", updatedAt: "m.updated_at" } as const;

// Same text as Date.toISOString(), so SQL rows need no per-field conversion in JavaScript.
const isoTimestamp = (column: string) =>
  `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * The model hub's list is the API's hottest read: one keyset query on (owner, sort key, id) in plain SQL,
 * with the version count, the newest version and the deployments' statuses as correlated subqueries (indexes
 * on model_id), so it never aggregates a whole table and the hub needs no query per row.
 */
export async function listModels(
  deps: TDeps,
  actor: TActor,
  input: TListModelsInput,
): Promise<TModelPage> {
  const search = input.search?.toLowerCase();
  if (search && !searchablePattern.test(search)) return { items: [], nextCursor: null };

  const sortField = input.sortBy;
  const column = sortColumns[sortField];
  const direction = input.sortDir ?? (sortField === "name" ? "asc" : "desc");
  const params: unknown[] = [];
  const conditions: string[] = [];
  if (actor.role !== "admin") {
    params.push(actor.id);
    conditions.push(`m.owner_id = $${params.length}`);
  }
  if (search) {
    params.push(`%${search}%`);
    conditions.push(`m.name LIKE $${params.length}`);
  }
  if (input.cursor) {
    const cursor = decodeCursor(input.cursor, sortField === "updatedAt" ? "date" : "name");
    params.push(cursor.value, cursor.id);
    const op = direction === "asc" ? ">" : "<";
    conditions.push(`(${column}, m.id) ${op} ($${params.length - 1}, $${params.length}::uuid)`);
  }
  params.push(input.limit + 1);
  const order = direction === "asc" ? "ASC" : "DESC";
  const rows = await deps.sql<TModelListItem>(
    `SELECT m.id, m.owner_id AS "ownerId", m.name, m.description, m.tags,
            (SELECT count(*)::int FROM model_versions v WHERE v.model_id = m.id) AS "versionCount",
            (SELECT json_build_object('id', v.id, 'tag', v.tag, 'framework', v.framework,
                    'status', v.status, 'createdAt', ${isoTimestamp("v.created_at")})
               FROM model_versions v WHERE v.model_id = m.id
              ORDER BY v.created_at DESC, v.id DESC LIMIT 1) AS "latestVersion",
            (SELECT coalesce(json_agg(json_build_object('id', d.id, 'name', d.name, 'status', d.status)
                    ORDER BY d.created_at DESC, d.id DESC), '[]'::json)
               FROM deployments d WHERE d.model_id = m.id) AS deployments,
            ${isoTimestamp("m.created_at")} AS "createdAt", ${isoTimestamp("m.updated_at")} AS "updatedAt"
       FROM models m
      ${conditions.length ? `WHERE ${conditions.join(" AND ")}` : ""}
      ORDER BY ${column} ${order}, m.id ${order}
      LIMIT $${params.length}`,
    params,
  );
  const hasMore = rows.length > input.limit;
  const page = hasMore ? rows.slice(0, input.limit) : rows;
  const last = page.at(-1);
  return {
    items: page,
    nextCursor: hasMore && last ? encodeCursor(last[sortField], last.id) : null,
  };
}

/** Finds a model the actor may see, or throws NOT_FOUND. A name is looked up among the actor's own models. */
export async function findModel(
  deps: TDeps,
  actor: TActor,
  input: TGetModelInput,
): Promise<TModelRow> {
  const where: Prisma.ModelWhereInput =
    "id" in input
      ? { id: input.id, ...modelScope(actor) }
      : { ownerId: actor.id, name: input.name };
  const row = await deps.db.model.findFirst({ where, select: modelSelect });
  if (!row) throw new DomainError("NOT_FOUND", "Model not found");
  return row;
}

export async function getModel(deps: TDeps, actor: TActor, input: TGetModelInput): Promise<TModel> {
  return toModel(await findModel(deps, actor, input));
}

export async function updateModel(
  deps: TDeps,
  actor: TActor,
  input: TUpdateModelInput,
): Promise<TModel> {
  const model = await findModel(deps, actor, { id: input.id });
  const row = await deps.db.model.update({
    where: { id: model.id },
    data: {
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(input.tags !== undefined ? { tags: input.tags } : {}),
    },
    select: modelSelect,
  });
  return toModel(row);
}

export async function deleteModel(deps: TDeps, actor: TActor, id: string): Promise<void> {
  const model = await findModel(deps, actor, { id });
  await deps.db.$transaction(async (tx) => {
    await clearDeploymentsBeforeDelete(
      tx,
      { modelId: model.id },
      {
        label: `Model '${model.name}'`,
        noun: "model",
      },
    );
    await tx.model.delete({ where: { id: model.id }, select: { id: true } });
  });
}
