import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { testDatabaseKinds } from "@kubeserve/db/testing";
import { waitFor } from "@kubeserve/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { replicaAuthToken } from "../lib/artifact-read-token";
import { readListeningPort, spawnReplica, type TSpawned } from "../runtime/local-process";
import { startFakeRayDashboard, type TFakeRayDashboard } from "../runtime/ray-fake-dashboard";
import { startFakeServeProxy, type TFakeServeProxy } from "../runtime/ray-fake-serve-proxy";
import { waitForStatus } from "../test/deployments";
import { irisModelPath, readIrisSamples } from "../test/fixtures";
import { createHarness, startHttp, type THarness, type THttpServer } from "../test/harness";
import { seedReadyVersion } from "../test/ready-version";

// A `ray` deployment end to end through the gateway: the driver PUTs to a fake Ray dashboard, the
// gateway sends predictions to a fake Serve HTTP proxy (real HTTP, route prefix → replica), and the
// replica behind it is a real model server process (apps/inference, the same V2/V1 protocol as the
// Ray entry module), so the answer is a real prediction. Not run against a real Ray cluster.

const samples = readIrisSamples();
const other = {
  name: "fraud",
  route_prefix: "/fraud",
  import_path: "fraud.serve:app",
  deployments: [{ name: "Fraud", num_replicas: 1 }],
};

describe.each(testDatabaseKinds)("gateway → ray deployment on %s", (kind) => {
  let dashboard: TFakeRayDashboard;
  let proxy: TFakeServeProxy;
  let h: THarness;
  let server: THttpServer;
  let replica: TSpawned | undefined;

  beforeAll(async () => {
    dashboard = await startFakeRayDashboard({ deployMs: 20 });
    dashboard.addOther(other);
    proxy = await startFakeServeProxy({ dashboardUrl: dashboard.url });
    h = await createHarness(kind, {
      RUNTIMES_ENABLED: "local,ray",
      RAY_DASHBOARD_URL: dashboard.url,
      RAY_SERVE_URL: proxy.url,
      RAY_POLL_MS: "20",
      RAY_PREFLIGHT_SECONDS: "5",
      RAY_RETRY_BACKOFF_MS: "10",
    });
    server = await startHttp(h);
  });
  afterAll(async () => {
    if (replica) {
      process.kill(replica.pid, "SIGTERM");
      await replica.exited;
    }
    await server.close();
    await h.destroy();
    await proxy.close();
    await dashboard.close();
  });

  async function startReplica(deploymentId: string): Promise<string> {
    const logFile = path.join(mkdtempSync(path.join(tmpdir(), "ks-ray-replica-")), "replica.log");
    const model = readFileSync(irisModelPath);
    replica = await spawnReplica({
      cli: h.config.runtime.inferenceCli,
      logFile,
      env: {
        PATH: process.env.PATH ?? "",
        KUBESERVE_MODEL: irisModelPath,
        KUBESERVE_MODEL_SHA256: createHash("sha256").update(model).digest("hex"),
        KUBESERVE_MODEL_NAME: "iris",
        KUBESERVE_HOST: "127.0.0.1",
        KUBESERVE_PORT: "0",
        KUBESERVE_AUTH_TOKEN: replicaAuthToken(h.config.auth.secret, deploymentId),
      },
    });
    const port = await waitFor(() => readListeningPort(logFile, 0), {
      what: "the replica's listening line",
      timeoutMs: 30_000,
      intervalMs: 50,
    });
    return `http://127.0.0.1:${port}`;
  }

  const post = (url: string, key: string | undefined, body: unknown) =>
    fetch(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(key ? { authorization: `Bearer ${key}` } : {}),
      },
      body: JSON.stringify(body),
    });

  it("predicts through the Serve proxy with the route prefix and the replica token; no key 401, another tenant 404", async () => {
    const user = await h.signUp("ray-owner");
    const model = await user.api.model.create({ name: "iris" });
    const version = await user.api.version.create({
      modelId: model.id,
      tag: "v1",
      framework: "onnx",
    });
    await seedReadyVersion(h.deps, { userId: user.userId, versionId: version.id });
    const deployment = await user.api.deployment.create({
      versionId: version.id,
      name: "ray-iris",
      replicas: 1,
      isPublic: false,
      runtime: "ray",
    });
    const id = deployment.id;
    await waitForStatus(h, user, id, "running");
    const token = replicaAuthToken(h.config.auth.secret, id);
    proxy.setReplica(`kubeserve-${id}`, await startReplica(id));
    const { secret: key } = await user.api.apiKey.create({ name: "predict" });

    const v2 = await post(`${server.url}/api/v1/deployments/${id}/v2/models/iris/infer`, key, {
      inputs: [
        {
          name: "input",
          shape: [samples.inputs.length, 4],
          datatype: "FP32",
          data: samples.inputs.flat(),
        },
      ],
    });
    expect(v2.status).toBe(200);
    const outputs = ((await v2.json()) as { outputs: { name: string; data: number[] }[] }).outputs;
    expect(outputs.find((o) => o.name === "label")?.data).toEqual(samples.predict);
    const v1 = await post(`${server.url}/api/v1/predict/${id}`, key, { instances: samples.inputs });
    expect(v1.status).toBe(200);
    const predictions = ((await v1.json()) as { predictions: number[][] }).predictions;
    predictions.forEach((row, i) =>
      row.forEach((p, j) => expect(p).toBeCloseTo(samples.predict_proba[i]![j]!, 4)),
    );

    // Ray's proxy was called on the route prefix with the header the entry module checks, and no API key.
    const forwarded = proxy.requests.filter((r) => r.path.startsWith(`/kubeserve/${id}/`));
    expect(forwarded.map((r) => `${r.method} ${r.path}`)).toEqual([
      `POST /kubeserve/${id}/v2/models/iris/infer`,
      `POST /kubeserve/${id}/v1/models/iris:predict`,
    ]);
    for (const r of forwarded) {
      expect(r.headers["x-kubeserve-token"]).toBe(token);
      expect(r.headers.authorization).toBeUndefined();
    }
    // The Serve config (readable by anyone on the dashboard) holds the token's hash, never the token.
    const sent = JSON.stringify(dashboard.puts);
    expect(sent).not.toContain(token);
    expect(sent).toContain(createHash("sha256").update(token).digest("hex"));
    expect(JSON.stringify((dashboard.puts.at(-1)!.applications as unknown[])[0])).toBe(
      JSON.stringify(other),
    );

    const before = proxy.requests.length;
    const anonymous = await post(`${server.url}/api/v1/predict/${id}`, undefined, {
      instances: samples.inputs,
    });
    expect(anonymous.status).toBe(401);
    const stranger = await h.signUp("ray-stranger");
    const { secret: strangerKey } = await stranger.api.apiKey.create({ name: "predict" });
    const foreign = await post(`${server.url}/api/v1/predict/${id}`, strangerKey, {
      instances: samples.inputs,
    });
    expect(foreign.status).toBe(404);
    expect(proxy.requests.length).toBe(before);

    // Someone on the internal network calling Ray's proxy directly, without the gateway's token.
    const direct = await post(`${proxy.url}/kubeserve/${id}/v1/models/iris:predict`, undefined, {
      instances: samples.inputs,
    });
    expect(direct.status).toBe(401);
  });
});
