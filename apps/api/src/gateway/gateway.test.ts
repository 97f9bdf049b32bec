import { connect } from "node:net";
import { testDatabaseKinds } from "@kubeserve/db/testing";
import { waitFor } from "@kubeserve/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isAlive } from "../runtime/local-process";
import { deployIris, waitForStatus } from "../test/deployments";
import { readIrisSamples } from "../test/fixtures";
import {
  createHarness,
  failureOf,
  startHttp,
  type THarness,
  type THttpServer,
} from "../test/harness";

const samples = readIrisSamples();
const rows = samples.inputs;

function expectProbabilities(actual: number[][], count = rows.length) {
  expect(actual).toHaveLength(count);
  actual.forEach((row, i) =>
    row.forEach((p, j) => expect(p).toBeCloseTo(samples.predict_proba[i]?.[j] ?? NaN, 4)),
  );
}

function isPortOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

describe.each(testDatabaseKinds)("prediction gateway on %s", (kind) => {
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

  const post = (
    path: string,
    key: string | undefined,
    body: unknown,
    headers: Record<string, string> = {},
  ) =>
    fetch(`${server.url}${path}`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...headers,
      },
      body: typeof body === "string" || body instanceof Uint8Array ? body : JSON.stringify(body),
    });

  it("deploys, predicts over every protocol, scales, rolls out, stops, starts and deletes", async () => {
    const d = await deployIris(h, "life", { versions: 2 });
    const id = d.deploymentId;

    // V1 instances (also the original /predict body): the samples' own probabilities.
    const v1 = await post(
      `/api/v1/predict/${id}`,
      d.key,
      { instances: rows },
      { "x-request-id": "trace-me-1" },
    );
    expect(v1.status).toBe(200);
    expect(v1.headers.get("x-request-id")).toBe("trace-me-1");
    expectProbabilities(((await v1.json()) as { predictions: number[][] }).predictions);

    const detail = await d.user.api.deployment.get({ id });
    expect(detail.coldStartMs).toBeGreaterThan(0);
    expect(detail.events.map((e) => e.status)).toEqual(["pending", "deploying", "running"]);
    expect(detail.currentReplicas).toHaveLength(1);
    expect(detail.urls.predict).toMatch(new RegExp(`/api/v1/predict/${id}$`));

    // V2 JSON.
    const v2 = await post(`/api/v1/deployments/${id}/v2/models/iris/infer`, d.key, {
      id: "req-1",
      inputs: [{ name: "input", shape: [rows.length, 4], datatype: "FP32", data: rows.flat() }],
    });
    expect(v2.status).toBe(200);
    const v2Body = (await v2.json()) as { id: string; outputs: { name: string; data: number[] }[] };
    expect(v2Body.id).toBe("req-1");
    const probabilities = v2Body.outputs.find((o) => o.name === "probabilities")?.data ?? [];
    expectProbabilities(
      Array.from({ length: rows.length }, (_, i) => probabilities.slice(i * 3, i * 3 + 3)),
    );
    expect(v2Body.outputs.find((o) => o.name === "label")?.data).toEqual(samples.predict);

    // V2 binary tensor extension, both ways.
    const tensor = Buffer.from(new Float32Array(rows.flat()).buffer);
    const header = JSON.stringify({
      inputs: [
        {
          name: "input",
          shape: [rows.length, 4],
          datatype: "FP32",
          parameters: { binary_data_size: tensor.length },
        },
      ],
      outputs: [{ name: "probabilities", parameters: { binary_data: true } }],
    });
    const binary = await post(
      `/api/v1/deployments/${id}/v2/models/iris/infer`,
      d.key,
      Buffer.concat([Buffer.from(header), tensor]),
      {
        "content-type": "application/octet-stream",
        "inference-header-content-length": String(header.length),
      },
    );
    expect(binary.status).toBe(200);
    const jsonLength = Number(binary.headers.get("inference-header-content-length"));
    const raw = Buffer.from(await binary.arrayBuffer());
    const out = new Float32Array(
      raw.buffer.slice(raw.byteOffset + jsonLength, raw.byteOffset + raw.length),
    );
    expectProbabilities(
      Array.from({ length: rows.length }, (_, i) => [...out.slice(i * 3, i * 3 + 3)]),
    );

    // Metadata and readiness pass through.
    const metadata = await fetch(`${server.url}/api/v1/deployments/${id}/v2/models/iris`, {
      headers: { "x-api-key": d.key },
    });
    expect(((await metadata.json()) as { inputs: { name: string }[] }).inputs[0]?.name).toBe(
      "input",
    );
    const ready = await fetch(`${server.url}/api/v1/deployments/${id}/v2/models/iris/ready`, {
      headers: { "x-api-key": d.key },
    });
    expect(ready.status).toBe(200);

    // A body the model rejects: the model server's 400 passes through unchanged.
    const [endpoint] = h.deps.runtimes.get("local").endpoints(id);
    const bad = { instances: [[1, 2, 3]] };
    const direct = await fetch(`${endpoint?.origin}/v1/models/iris:predict`, {
      method: "POST",
      headers: { authorization: `Bearer ${endpoint?.token}`, "content-type": "application/json" },
      body: JSON.stringify(bad),
    });
    const rejected = await post(`/api/v1/predict/${id}`, d.key, bad);
    expect(rejected.status).toBe(400);
    expect(await rejected.text()).toBe(await direct.text());

    // Scale to 2: both replicas serve.
    await d.user.api.deployment.scale({ id, replicas: 2 });
    await waitForStatus(h, d.user, id, "running");
    await waitForTwoReplicas(h, id);
    for (let i = 0; i < 10; i++)
      expect((await post(`/api/v1/predict/${id}`, d.key, { instances: rows })).status).toBe(200);
    const served = await Promise.all(
      h.deps.runtimes
        .get("local")
        .endpoints(id)
        .map(async (e) => {
          const text = await (
            await fetch(`${e.origin}/metrics`, { headers: { authorization: `Bearer ${e.token}` } })
          ).text();
          return Number(
            /requests_total\{[^}]*protocol="v1"[^}]*code="200"[^}]*\} (\d+)/.exec(text)?.[1] ?? 0,
          );
        }),
    );
    expect(served.every((count) => count >= 3)).toBe(true);

    // Roll out v2 under a concurrent request loop: not one request fails.
    const failures: string[] = [];
    let sent = 0;
    let isLooping = true;
    const loop = async () => {
      while (isLooping) {
        const response = await post(`/api/v1/predict/${id}`, d.key, {
          instances: rows.slice(0, 2),
        });
        sent += 1;
        if (response.status !== 200) failures.push(`${response.status} ${await response.text()}`);
        else await response.arrayBuffer();
      }
    };
    const loops = Array.from({ length: 4 }, loop);
    await d.user.api.deployment.update({ id, versionId: d.versionIds[1] });
    await waitFor(
      async () => {
        const current = await d.user.api.deployment.get({ id });
        return current.status === "running" &&
          current.currentReplicas.length === 2 &&
          current.currentReplicas.every((r) => r.generation === 2 && r.state === "ready")
          ? current
          : undefined;
      },
      { what: "rollout to v2" },
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    isLooping = false;
    await Promise.all(loops);
    expect(failures).toEqual([]);
    expect(sent).toBeGreaterThan(20);
    const rolled = await d.user.api.deployment.get({ id });
    expect(rolled.versionId).toBe(d.versionIds[1]);
    expect(rolled.events.some((e) => e.message.includes("rolling out version 'v2'"))).toBe(true);

    // Stop: 503 with Retry-After; start again; predictions come back.
    const pids = h.deps.runtimes
      .get("local")
      .status(id)
      .replicas.map((r) => r.pid ?? 0);
    const ports = h.deps.runtimes
      .get("local")
      .endpoints(id)
      .map((e) => Number(new URL(e.origin).port));
    await d.user.api.deployment.stop({ id });
    expect((await d.user.api.deployment.get({ id })).status).toBe("stopped");
    const stopped = await post(`/api/v1/predict/${id}`, d.key, { instances: rows });
    expect(stopped.status).toBe(503);
    expect(stopped.headers.get("retry-after")).toBe("1");
    expect(await stopped.text()).toMatch(/stopped/);
    for (const pid of pids) expect(isAlive(pid)).toBe(false);

    await d.user.api.deployment.start({ id });
    await waitForStatus(h, d.user, id, "running");
    expect((await post(`/api/v1/predict/${id}`, d.key, { instances: rows })).status).toBe(200);

    // Delete: processes gone, ports free, the deployment unknown everywhere.
    const finalPids = h.deps.runtimes
      .get("local")
      .status(id)
      .replicas.map((r) => r.pid ?? 0);
    const finalPorts = h.deps.runtimes
      .get("local")
      .endpoints(id)
      .map((e) => Number(new URL(e.origin).port));
    expect(await d.user.api.deployment.delete({ id })).toEqual({ ok: true });
    for (const pid of [...pids, ...finalPids]) expect(isAlive(pid)).toBe(false);
    for (const port of [...ports, ...finalPorts]) expect(await isPortOpen(port)).toBe(false);
    expect((await failureOf(d.user.api.deployment.get({ id }))).code).toBe("NOT_FOUND");
    expect((await post(`/api/v1/predict/${id}`, d.key, { instances: rows })).status).toBe(404);
  });
});

function waitForTwoReplicas(h: THarness, id: string) {
  return waitFor(
    () => (h.deps.runtimes.get("local").endpoints(id).length === 2 ? true : undefined),
    {
      what: "two ready replicas",
    },
  );
}
