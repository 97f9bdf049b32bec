import type { TSql } from "@kubeserve/db";
import type { TRuntimeKind } from "../runtime/registry";
import type { TSignature } from "../schemas/version";

// What the gateway needs to know about a deployment, cached briefly so a prediction costs no query.
// Changes made through this API process are seen at once (the service invalidates); changes made on
// another API replica within `ttlMs`.

export type TRoute = {
  id: string;
  ownerId: string;
  name: string;
  modelName: string;
  isPublic: boolean;
  runtime: TRuntimeKind;
  desiredState: "running" | "stopped";
  status: string;
  signature: TSignature | null;
  /** Set until the first successful prediction after create/start has been recorded. */
  coldStartFrom: number | undefined;
};

export type TDirectory = {
  lookup(id: string): Promise<TRoute | undefined>;
  /** The cached answer while it is fresh (`undefined` inside: no such deployment), else `stale`. */
  peek(id: string): { route: TRoute | undefined } | "stale";
  invalidate(id: string): void;
  /** The first successful prediction was recorded: stop measuring. */
  markWarm(id: string): void;
};

type TRow = {
  id: string;
  owner_id: string;
  name: string;
  model_name: string;
  is_public: boolean;
  runtime: TRuntimeKind;
  desired_state: "running" | "stopped";
  status: string;
  signature: TSignature | null;
  cold_start_ms: number | null;
  started_at: Date | null;
};

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function createDirectory(sql: TSql, ttlMs = 2000): TDirectory {
  const cache = new Map<string, { route: TRoute | undefined; at: number }>();
  return {
    peek(id) {
      const hit = cache.get(id);
      return hit && Date.now() - hit.at < ttlMs ? hit : "stale";
    },
    async lookup(id) {
      if (!uuidPattern.test(id)) return undefined;
      const hit = cache.get(id);
      const now = Date.now();
      if (hit && now - hit.at < ttlMs) return hit.route;
      const [row] = await sql<TRow>(
        `SELECT d.id, d.owner_id, d.name, m.name AS model_name, d.is_public, d.runtime, d.desired_state, d.status,
                v.signature, d.cold_start_ms, d.started_at
           FROM deployments d JOIN models m ON m.id = d.model_id JOIN model_versions v ON v.id = d.version_id
          WHERE d.id = $1`,
        [id],
      );
      const route: TRoute | undefined = row && {
        id: row.id,
        ownerId: row.owner_id,
        name: row.name,
        modelName: row.model_name,
        isPublic: row.is_public,
        runtime: row.runtime,
        desiredState: row.desired_state,
        status: row.status,
        signature: row.signature,
        coldStartFrom:
          row.cold_start_ms === null && row.started_at ? row.started_at.getTime() : undefined,
      };
      if (cache.size > 10_000) cache.clear();
      cache.set(id, { route, at: now });
      return route;
    },
    invalidate: (id) => void cache.delete(id),
    markWarm(id) {
      const hit = cache.get(id);
      if (hit?.route) hit.route.coldStartFrom = undefined;
    },
  };
}
