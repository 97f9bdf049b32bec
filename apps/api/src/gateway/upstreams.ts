import { Pool } from "undici";
import type { TEndpoint } from "../runtime/driver";

// Keep-alive connection pools to the replicas, round-robin choice, and the in-flight counts that drains
// and the autoscaler read.

export type TUpstreams = {
  /** The next ready replica in turn, skipping `excludeReplicaId` (a retry goes elsewhere when it can). */
  pick(endpoints: TEndpoint[], excludeReplicaId?: string): TEndpoint | undefined;
  pool(endpoint: TEndpoint): Pool;
  /** The request headers for this replica: X-Request-Id, the passed ones of `incoming`, the replica's credential. */
  headersFor(
    endpoint: TEndpoint,
    requestId: string,
    incoming: Record<string, string | string[] | undefined>,
  ): Record<string, string>;
  begin(endpoint: TEndpoint): void;
  end(endpoint: TEndpoint): void;
  /** Requests the gateway has open to this deployment's replicas right now. */
  inFlight(deploymentId: string): number;
  /** Resolves once the replica has no request from us in flight, then closes its pool. */
  drain(endpoint: TEndpoint): Promise<void>;
  close(): Promise<void>;
};

const passedRequestHeaders = ["content-type", "inference-header-content-length", "accept"];

export function createUpstreams(options: { connectionsPerReplica?: number } = {}): TUpstreams {
  const pools = new Map<string, Pool>();
  const replicaInFlight = new Map<string, number>();
  const deploymentInFlight = new Map<string, number>();
  const cursors = new Map<string, number>();
  const idleWaiters = new Map<string, (() => void)[]>();

  // Endpoint objects live until the replica set changes: their map key and credential header are built
  // once, not on every request (a fresh string is hashed again on each Map lookup).
  const keys = new WeakMap<TEndpoint, string>();
  const credentials = new WeakMap<TEndpoint, Record<string, string>>();

  function key(endpoint: TEndpoint): string {
    let k = keys.get(endpoint);
    if (k === undefined) {
      k = `${endpoint.replicaId}@${endpoint.origin}`;
      keys.set(endpoint, k);
    }
    return k;
  }

  return {
    pick(endpoints, excludeReplicaId) {
      const candidates = excludeReplicaId
        ? endpoints.filter((e) => e.replicaId !== excludeReplicaId)
        : endpoints;
      if (candidates.length === 0) return undefined;
      const deploymentId = candidates[0]?.deploymentId ?? "";
      const next = ((cursors.get(deploymentId) ?? -1) + 1) % candidates.length;
      cursors.set(deploymentId, next);
      return candidates[next];
    },
    pool(endpoint) {
      const k = key(endpoint);
      let pool = pools.get(k);
      if (!pool) {
        pool = new Pool(endpoint.origin, {
          connections: options.connectionsPerReplica ?? 128,
          keepAliveTimeout: 30_000,
          // Shorter than the model server's keep-alive, so we never send on a socket it is closing.
          keepAliveMaxTimeout: 4_000,
          ...(endpoint.connect ? { connect: endpoint.connect } : {}),
        });
        pools.set(k, pool);
      }
      return pool;
    },
    headersFor(endpoint, requestId, incoming) {
      let credential = credentials.get(endpoint);
      if (!credential) {
        credential = endpoint.headers ?? { authorization: `Bearer ${endpoint.token}` };
        credentials.set(endpoint, credential);
      }
      const headers: Record<string, string> = { "x-request-id": requestId };
      for (const name of passedRequestHeaders) {
        const value = incoming[name];
        if (typeof value === "string") headers[name] = value;
      }
      for (const name in credential) headers[name] = credential[name] as string;
      return headers;
    },
    begin(endpoint) {
      const k = key(endpoint);
      replicaInFlight.set(k, (replicaInFlight.get(k) ?? 0) + 1);
      deploymentInFlight.set(
        endpoint.deploymentId,
        (deploymentInFlight.get(endpoint.deploymentId) ?? 0) + 1,
      );
    },
    end(endpoint) {
      const k = key(endpoint);
      const left = (replicaInFlight.get(k) ?? 1) - 1;
      replicaInFlight.set(k, left);
      deploymentInFlight.set(
        endpoint.deploymentId,
        Math.max(0, (deploymentInFlight.get(endpoint.deploymentId) ?? 1) - 1),
      );
      if (left === 0) {
        for (const wake of idleWaiters.get(k) ?? []) wake();
        idleWaiters.delete(k);
      }
    },
    inFlight: (deploymentId) => deploymentInFlight.get(deploymentId) ?? 0,
    async drain(endpoint) {
      const k = key(endpoint);
      if ((replicaInFlight.get(k) ?? 0) > 0) {
        await new Promise<void>((resolve) => {
          idleWaiters.set(k, [...(idleWaiters.get(k) ?? []), resolve]);
        });
      }
      replicaInFlight.delete(k);
      const pool = pools.get(k);
      pools.delete(k);
      await pool?.close();
    },
    async close() {
      await Promise.all([...pools.values()].map((pool) => pool.destroy()));
      pools.clear();
    },
  };
}
