import { describe, expect, it } from "vitest";
import { DomainError } from "../lib/errors";
import type { TRuntimeDriver, TRuntimeStatus } from "./driver";
import { createRuntimeRegistry } from "./registry";

function fakeDriver(kind: TRuntimeDriver["kind"], closed: string[]) {
  const listeners = new Set<(status: TRuntimeStatus) => void>();
  const driver = {
    kind,
    watch(listener: (status: TRuntimeStatus) => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close: () => {
      closed.push(kind);
      return Promise.resolve();
    },
  } as unknown as TRuntimeDriver;
  const emit = (deploymentId: string) => {
    for (const listener of listeners) listener({ deploymentId } as TRuntimeStatus);
  };
  return { driver, emit, listeners };
}

describe("runtime registry", () => {
  it("finds each driver by the deployment's runtime and refuses kinds it has not enabled", () => {
    const closed: string[] = [];
    const local = fakeDriver("local", closed);
    const registry = createRuntimeRegistry([local.driver]);
    expect(registry.kinds).toEqual(["local"]);
    expect(registry.get("local")).toBe(local.driver);
    expect(registry.find("kubernetes")).toBeUndefined();
    expect(() => registry.get("kubernetes")).toThrow(DomainError);
    expect(() => registry.get("kubernetes")).toThrow(/kubernetes runtime is not enabled.*local/);
  });

  it("merges every driver's status changes, unsubscribes from all and closes all", async () => {
    const closed: string[] = [];
    const local = fakeDriver("local", closed);
    const cluster = fakeDriver("kubernetes", closed);
    const registry = createRuntimeRegistry([local.driver, cluster.driver]);
    const seen: string[] = [];
    const stop = registry.watch((status, kind) => seen.push(`${kind}:${status.deploymentId}`));
    local.emit("a");
    cluster.emit("b");
    expect(seen).toEqual(["local:a", "kubernetes:b"]);
    stop();
    expect(local.listeners.size + cluster.listeners.size).toBe(0);
    await registry.close();
    expect(closed.sort()).toEqual(["kubernetes", "local"]);
  });

  it("refuses two drivers of one kind", () => {
    const closed: string[] = [];
    expect(() =>
      createRuntimeRegistry([
        fakeDriver("local", closed).driver,
        fakeDriver("local", closed).driver,
      ]),
    ).toThrow(/two local/);
  });
});
