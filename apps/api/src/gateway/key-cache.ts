import type { TListen, TSql } from "@kubeserve/db";
import type { Logger } from "pino";
import type { TGatewayConfig } from "../config/runtime";
import { hashApiKey, isWellFormedApiKey } from "../lib/api-key-secret";

// Verified API keys for the prediction gateway: no database read per prediction in the steady state.
// A key change (revocation, expiry, scope, deletion) fires a NOTIFY from a trigger (see the migration);
// where LISTEN is unavailable (PgBouncer transaction pooling) an indexed poll every half second does the
// same (every second would let a revocation that lands just after a poll live a little over 1 s).

export const keyChangeChannel = "kubeserve_api_keys";

export type TVerifiedKey = {
  keyId: string;
  userId: string;
  kind: "management" | "predict";
  /** Empty: every deployment of the owner. */
  deploymentIds: string[];
  expiresAt: number | undefined;
};

export type TKeyVerdict = { key: TVerifiedKey } | { error: "invalid" | "revoked" | "expired" };

export type TKeyCache = {
  verify(secret: string): Promise<TKeyVerdict>;
  /** The verdict without awaiting when the key is cached and fresh (the steady state), else undefined. */
  peek(secret: string): TKeyVerdict | undefined;
  /** Subscribes to key changes (or starts polling); safe to call more than once. */
  start(): Promise<void>;
  /** How revocations reach this cache right now. */
  mode(): "listen" | "poll" | "idle";
  close(): Promise<void>;
};

type TRow = {
  id: string;
  user_id: string;
  kind: "management" | "predict";
  deployment_ids: string[] | null;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
};

type TEntry = { verdict: TKeyVerdict; keyId: string | undefined; cachedAt: number };

const maxEntries = 10_000;
const pollMs = 500;
const lastUsedResolutionMs = 60_000;

export function createKeyCache(options: {
  sql: TSql;
  listen: TListen | undefined;
  config: TGatewayConfig;
  log: Logger;
}): TKeyCache {
  const { sql, config, log } = options;
  const byHash = new Map<string, TEntry>();
  const hashById = new Map<string, string>();
  const lastUsedWrites = new Map<string, number>();
  let unlisten: (() => Promise<void>) | undefined;
  let pollTimer: NodeJS.Timeout | undefined;
  let current: "listen" | "poll" | "idle" = "idle";
  let starting: Promise<void> | undefined;

  function evict(keyId: string): void {
    const hash = hashById.get(keyId);
    if (hash) byHash.delete(hash);
    hashById.delete(keyId);
  }

  function startPolling(): void {
    current = "poll";
    if (pollTimer) return;
    let since = new Date(Date.now() - 2000);
    pollTimer = setInterval(() => {
      const from = since;
      // Overlapping windows: a revocation committed late in the last second is still seen.
      since = new Date(Date.now() - 2000);
      sql<{ id: string }>("SELECT id FROM api_keys WHERE revoked_at >= $1", [from])
        .then((rows) => rows.forEach((row) => evict(row.id)))
        .catch((error: unknown) => log.warn({ err: error }, "API key revocation poll failed"));
    }, pollMs);
    pollTimer.unref();
  }

  async function subscribe(): Promise<void> {
    if (config.revocation === "poll" || !options.listen) return startPolling();
    try {
      unlisten = await options.listen(
        keyChangeChannel,
        (keyId) => evict(keyId),
        (error) => {
          log.warn({ err: error }, "LISTEN for API key changes failed: polling instead");
          // Anything revoked while the connection was down is unknown: start over.
          byHash.clear();
          hashById.clear();
          startPolling();
        },
      );
      current = "listen";
    } catch (error) {
      log.warn({ err: error }, "LISTEN is unavailable: polling for API key revocations");
      startPolling();
    }
  }

  async function load(hash: string): Promise<TEntry> {
    const [row] = await sql<TRow>(
      `SELECT id, user_id, kind, deployment_ids, expires_at, revoked_at, last_used_at
         FROM api_keys WHERE key_hash = $1`,
      [hash],
    );
    const now = Date.now();
    if (!row) return { verdict: { error: "invalid" }, keyId: undefined, cachedAt: now };
    if (row.revoked_at) return { verdict: { error: "revoked" }, keyId: row.id, cachedAt: now };
    lastUsedWrites.set(row.id, row.last_used_at?.getTime() ?? 0);
    return {
      verdict: {
        key: {
          keyId: row.id,
          userId: row.user_id,
          kind: row.kind,
          deploymentIds: row.deployment_ids ?? [],
          expiresAt: row.expires_at?.getTime(),
        },
      },
      keyId: row.id,
      cachedAt: now,
    };
  }

  function touch(keyId: string, now: number): void {
    const last = lastUsedWrites.get(keyId) ?? 0;
    if (now - last < lastUsedResolutionMs) return;
    lastUsedWrites.set(keyId, now);
    // A hint for humans: never on the request's path.
    sql("UPDATE api_keys SET last_used_at = $1 WHERE id = $2", [new Date(now), keyId]).catch(
      (error: unknown) => log.warn({ err: error }, "recording API key use failed"),
    );
  }

  /** The verdict of a cached entry at `now`: expiry is checked on every use, and use is recorded. */
  function judge(entry: TEntry, now: number): TKeyVerdict {
    const { verdict } = entry;
    if ("key" in verdict) {
      if (verdict.key.expiresAt !== undefined && verdict.key.expiresAt <= now) {
        return { error: "expired" };
      }
      touch(verdict.key.keyId, now);
    }
    return verdict;
  }

  return {
    async verify(secret) {
      if (!isWellFormedApiKey(secret)) return { error: "invalid" };
      const hash = hashApiKey(secret);
      const now = Date.now();
      let entry = byHash.get(hash);
      if (!entry || now - entry.cachedAt > config.keyCacheMs) {
        entry = await load(hash);
        if (byHash.size >= maxEntries) {
          byHash.clear();
          hashById.clear();
        }
        byHash.set(hash, entry);
        if (entry.keyId) hashById.set(entry.keyId, hash);
      }
      return judge(entry, now);
    },
    peek(secret) {
      if (!isWellFormedApiKey(secret)) return { error: "invalid" };
      const entry = byHash.get(hashApiKey(secret));
      const now = Date.now();
      if (!entry || now - entry.cachedAt > config.keyCacheMs) return undefined;
      return judge(entry, now);
    },
    start: () => (starting ??= subscribe()),
    mode: () => current,
    async close() {
      if (pollTimer) clearInterval(pollTimer);
      pollTimer = undefined;
      await unlisten?.().catch(() => undefined);
      unlisten = undefined;
      current = "idle";
    },
  };
}
