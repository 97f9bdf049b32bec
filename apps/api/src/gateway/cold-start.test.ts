import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deployIris, waitForStatus } from "../test/deployments";
import { readIrisSamples } from "../test/fixtures";
import { createHarness, startHttp, type THarness, type THttpServer } from "../test/harness";

// Cold start (create or start → first successful prediction through the gateway) is stored whichever
// protocol carries the first prediction, and measured again after a stop and start.

const rows = readIrisSamples().inputs;

describe("cold start recording", () => {
  let h: THarness;
  let server: THttpServer;
  beforeAll(async () => {
    h = await createHarness("postgres", { RUNTIME_STOP_GRACE_SECONDS: "2" });
    server = await startHttp(h);
  });
  afterAll(async () => {
    await server.close();
    await h.destroy();
  });

  const post = (path: string, key: string, body: unknown) =>
    fetch(`${server.url}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });

  /** Waits for the fire-and-forget write after the first success. */
  async function coldStartOf(d: Awaited<ReturnType<typeof deployIris>>): Promise<number | null> {
    for (let i = 0; i < 50; i++) {
      const { coldStartMs } = await d.user.api.deployment.get({ id: d.deploymentId });
      if (coldStartMs !== null) return coldStartMs;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return null;
  }

  it("is stored from a first V2 prediction, not from a refused one, and again after stop and start", async () => {
    const createdAt = Date.now();
    const d = await deployIris(h, "cold");
    const id = d.deploymentId;
    expect((await d.user.api.deployment.get({ id })).coldStartMs).toBeNull();

    // A refused body is not a successful prediction.
    const refused = await post(`/api/v1/deployments/${id}/v2/models/iris/infer`, d.key, {
      inputs: [{ name: "input", shape: [1, 3], datatype: "FP32", data: [1, 2, 3] }],
    });
    expect(refused.status).toBe(400);
    await refused.arrayBuffer();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await d.user.api.deployment.get({ id })).coldStartMs).toBeNull();

    const v2 = await post(`/api/v1/deployments/${id}/v2/models/iris/infer`, d.key, {
      inputs: [{ name: "input", shape: [rows.length, 4], datatype: "FP32", data: rows.flat() }],
    });
    expect(v2.status).toBe(200);
    await v2.arrayBuffer();
    const first = await coldStartOf(d);
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThanOrEqual(Date.now() - createdAt);

    await d.user.api.deployment.stop({ id });
    const startedAt = Date.now();
    await d.user.api.deployment.start({ id });
    expect((await d.user.api.deployment.get({ id })).coldStartMs).toBeNull();
    await waitForStatus(h, d.user, id, "running");
    const v1 = await post(`/api/v1/predict/${id}`, d.key, { instances: rows });
    expect(v1.status).toBe(200);
    await v1.arrayBuffer();
    const second = await coldStartOf(d);
    expect(second).toBeGreaterThan(0);
    expect(second).toBeLessThanOrEqual(Date.now() - startedAt);
  });
});
