import type { PrismaClient } from "@kubeserve/db";
import { createKeyedQueue } from "../lib/keyed-queue";

// Ray's Serve API has no compare-and-swap, so read-merge-PUT-verify must run one writer at a time.
// PostgreSQL: a transaction-scoped advisory lock serialises every API replica on the same database.
// PGlite: one process owns the embedded database (no second replica can exist), and holding a
// transaction open there would stall every other query, so a process-local queue is used instead.

export type TRayLock = <T>(work: () => Promise<T>) => Promise<T>;

/** Arbitrary, fixed: (KubeServe, Ray Serve config). */
const LOCK_KEYS = [0x6b73, 0x7261] as const;

export function createRayLock(options: {
  db: PrismaClient;
  isPostgres: boolean;
  timeoutMs: number;
}): TRayLock {
  const queue = createKeyedQueue();
  if (!options.isPostgres) return (work) => queue.run("ray", work);
  return (work) =>
    // The queue first, so one process holds at most one pooled connection waiting for the lock.
    queue.run("ray", () =>
      options.db.$transaction(
        async (tx) => {
          await tx.$queryRawUnsafe(
            "SELECT 1 AS locked FROM pg_advisory_xact_lock($1::int, $2::int)",
            LOCK_KEYS[0],
            LOCK_KEYS[1],
          );
          return work();
        },
        { maxWait: options.timeoutMs, timeout: options.timeoutMs },
      ),
    );
}
