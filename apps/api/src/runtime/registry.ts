import { DomainError } from "../lib/errors";
import type { TRuntimeDriver, TRuntimeStatus } from "./driver";

// Every runtime this API process can deploy to, keyed by the `runtime` stored on each deployment.

export type TRuntimeKind = TRuntimeDriver["kind"];

export type TRuntimeRegistry = {
  /** The kinds enabled in this process, in the order they were given (local first). */
  readonly kinds: readonly TRuntimeKind[];
  /** The driver for a deployment's runtime; a 400 naming the kind when this API has not enabled it. */
  get(kind: string): TRuntimeDriver;
  find(kind: string): TRuntimeDriver | undefined;
  all(): readonly TRuntimeDriver[];
  /** Status changes from every driver; returns the unsubscribe function. */
  watch(listener: (status: TRuntimeStatus, kind: TRuntimeKind) => void): () => void;
  /** On API shutdown: every driver drains what it supervises. */
  close(): Promise<void>;
};

export function createRuntimeRegistry(drivers: readonly TRuntimeDriver[]): TRuntimeRegistry {
  const byKind = new Map<TRuntimeKind, TRuntimeDriver>();
  for (const driver of drivers) {
    if (byKind.has(driver.kind)) throw new Error(`two ${driver.kind} runtime drivers`);
    byKind.set(driver.kind, driver);
  }
  const kinds = [...byKind.keys()];
  const lookup = (kind: string) => byKind.get(kind as TRuntimeKind);
  return {
    kinds,
    find: lookup,
    get(kind) {
      const driver = lookup(kind);
      if (!driver) {
        throw new DomainError(
          "BAD_REQUEST",
          `The ${kind} runtime is not enabled on this API (enabled: ${kinds.join(", ")}); see the README's runtime configuration`,
        );
      }
      return driver;
    },
    all: () => [...byKind.values()],
    watch(listener) {
      const stops = [...byKind.values()].map((driver) =>
        driver.watch((status) => listener(status, driver.kind)),
      );
      return () => stops.forEach((stop) => stop());
    },
    async close() {
      await Promise.all([...byKind.values()].map((driver) => driver.close()));
    },
  };
}
