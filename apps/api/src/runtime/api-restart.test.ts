import type { ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createTestPostgres, type TTestDatabase } from "@kubeserve/db/testing";
import { freePort, waitFor } from "@kubeserve/testing";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiClient } from "../client";
import { createDeps } from "../deps";
import { testConfig } from "../test/harness";
import { startApiProcess } from "../test/api-process";
import { seedReadyVersion } from "../test/ready-version";
import { replicaProcesses } from "../test/replica-processes";
import { isAlive } from "./local-process";

// The real API process, killed with SIGKILL and started again over the same database and folder: its
// deployments are reconciled, its replicas adopted (not started twice), and unwanted ones stopped.

describe("API restart after kill -9", () => {
  let database: TTestDatabase;
  let home: string;
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    database = await createTestPostgres();
    home = mkdtempSync(path.join(tmpdir(), "ks-restart-"));
  });
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
    await database.destroy();
  });

  async function startApi(port: number) {
    const started = await startApiProcess({
      databaseUrl: database.url ?? "",
      home,
      port,
      env: {
        AUTH_SECRET: "restart-secret-restart-secret-0123456789",
        RUNTIME_RECONCILE_SECONDS: "1",
      },
    });
    children.push(started.child);
    return started;
  }

  it("adopts its replicas, starts none twice, and stops those deleted while it was down", async () => {
    const port = await freePort();
    let api = await startApi(port);
    const anonymous = createApiClient({ url: api.url });
    const session = await anonymous.auth.register.mutate({
      email: "restart@example.com",
      password: "correct horse battery",
    });
    const client = createApiClient({ url: api.url, token: session.accessToken });
    const model = await client.model.create.mutate({ name: "iris" });
    const version = await client.version.create.mutate({
      modelId: model.id,
      tag: "v1",
      framework: "onnx",
    });
    // The same database and storage folder the server uses, for the one seeding step.
    const config = testConfig({ KUBESERVE_HOME: home });
    const deps = createDeps({
      db: database.prisma,
      sql: database.sql,
      config,
      log: pino({ level: "silent" }),
    });
    await seedReadyVersion(deps, { userId: session.user.id, versionId: version.id });
    const kept = await client.deployment.create.mutate({ versionId: version.id, name: "kept" });
    const dropped = await client.deployment.create.mutate({
      versionId: version.id,
      name: "dropped",
    });
    const { secret } = await client.apiKey.create.mutate({ name: "k" });
    for (const id of [kept.id, dropped.id]) {
      await waitFor(
        async () =>
          (await client.deployment.get.query({ id })).status === "running" ? true : undefined,
        {
          what: "running",
        },
      );
    }
    const [keptPid] = replicaProcesses(kept.id);
    const [droppedPid] = replicaProcesses(dropped.id);

    api.child.kill("SIGKILL");
    await new Promise((resolve) => api.child.once("exit", resolve));
    expect(isAlive(keptPid ?? 0) && isAlive(droppedPid ?? 0)).toBe(true);
    // Deleted while the API was down: its replica must not survive the restart.
    await database.prisma.deployment.delete({ where: { id: dropped.id } });

    api = await startApi(port);
    expect(replicaProcesses(kept.id)).toEqual([keptPid]);
    await waitFor(() => (isAlive(droppedPid ?? 0) ? undefined : true), {
      what: "leftover replica stopped",
      timeoutMs: 15_000,
    });
    const response = await fetch(`${api.url}/api/v1/predict/${kept.id}`, {
      method: "POST",
      headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
      body: JSON.stringify({ instances: [[5.1, 3.5, 1.4, 0.2]] }),
    });
    expect(response.status).toBe(200);
    // A few periodic reconciles later there is still exactly one copy.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(replicaProcesses(kept.id)).toEqual([keptPid]);

    // A clean shutdown stops what it supervises.
    api.child.kill("SIGTERM");
    await new Promise((resolve) => api.child.once("exit", resolve));
    expect(replicaProcesses(kept.id)).toEqual([]);
  });
});
