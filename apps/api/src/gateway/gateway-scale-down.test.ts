import { testDatabaseKinds } from "@kubeserve/db/testing";
import { waitFor } from "@kubeserve/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isAlive } from "../runtime/local-process";
import { deployIris, waitForStatus } from "../test/deployments";
import { readIrisSamples } from "../test/fixtures";
import { createHarness, startHttp, type THarness, type THttpServer } from "../test/harness";

// Scale-down is the other half of "scale with zero failed requests": a replica being removed leaves
// the gateway's rotation before it is stopped, and what it was answering finishes.

const rows = readIrisSamples().inputs;

describe.each(testDatabaseKinds)("scale-down through the gateway on %s", (kind) => {
  let h: THarness;
  let server: THttpServer;
  beforeAll(async () => {
    h = await createHarness(kind, { RUNTIME_STOP_GRACE_SECONDS: "5" });
    server = await startHttp(h);
  });
  afterAll(async () => {
    await server.close();
    await h.destroy();
  });

  it("loses not one request of a concurrent loop while 3 replicas become 1", async () => {
    const d = await deployIris(h, `down-${kind}`, { replicas: 3 });
    const id = d.deploymentId;
    const local = h.deps.runtimes.get("local");
    await waitFor(() => (local.endpoints(id).length === 3 ? true : undefined), {
      what: "three ready replicas",
    });
    const before = local.status(id).replicas.map((r) => r.pid ?? 0);

    const failures: string[] = [];
    let sent = 0;
    let isLooping = true;
    const loop = async () => {
      while (isLooping) {
        const response = await fetch(`${server.url}/api/v1/predict/${id}`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${d.key}` },
          body: JSON.stringify({ instances: rows.slice(0, 2) }),
        }).catch((error: unknown) => error as Error);
        sent += 1;
        if (response instanceof Error) failures.push(`network: ${response.message}`);
        else if (response.status !== 200)
          failures.push(`${response.status} ${await response.text()}`);
        else await response.arrayBuffer();
      }
    };
    const loops = Array.from({ length: 4 }, loop);
    // Requests are flowing to all three before the scale-down starts.
    await waitFor(() => (sent >= 30 ? true : undefined), { what: "traffic", intervalMs: 10 });
    const sentBefore = sent;
    await d.user.api.deployment.scale({ id, replicas: 1 });
    await waitFor(
      () => {
        const remaining = local.status(id).replicas.map((r) => r.pid ?? 0);
        const removed = before.filter((pid) => !remaining.includes(pid));
        return remaining.length === 1 &&
          local.endpoints(id).length === 1 &&
          removed.length === 2 &&
          removed.every((pid) => !isAlive(pid))
          ? true
          : undefined;
      },
      { what: "two replicas stopped", timeoutMs: 20_000, intervalMs: 20 },
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    isLooping = false;
    await Promise.all(loops);
    expect(failures).toEqual([]);
    expect(sent - sentBefore).toBeGreaterThan(20);
    await waitForStatus(h, d.user, id, "running");
    expect((await d.user.api.deployment.get({ id })).currentReplicas).toHaveLength(1);
    expect(await d.user.api.deployment.delete({ id })).toEqual({ ok: true });
    // The gateway has seen the delete (its directory lookup is done before the database goes away).
    const gone = await fetch(`${server.url}/api/v1/predict/${id}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${d.key}` },
      body: JSON.stringify({ instances: rows }),
    });
    expect(gone.status).toBe(404);
  });
});
