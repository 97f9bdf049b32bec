import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
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
import type { TPidRecord } from "./local-process";

// SIGTERM to the real API process: every replica it started is gone (pid and port) within the
// grace period, including one that cannot drain (SIGSTOPped, so only the SIGKILL after the grace ends it).

const GRACE_SECONDS = 3;

/** Running means present and not a zombie (/proc/<pid>/stat state). */
function isRunning(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0] !== "Z";
  } catch {
    return false;
  }
}

function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

function replicaPorts(home: string, deploymentId: string): number[] {
  const dir = path.join(home, "runtime", deploymentId);
  return readdirSync(dir)
    .filter((name) => name.endsWith(".json"))
    .map(
      (name) => (JSON.parse(readFileSync(path.join(dir, name), "utf8")) as TPidRecord).port ?? 0,
    );
}

describe("API SIGTERM", () => {
  let database: TTestDatabase;
  let api: ChildProcess | undefined;
  const stopped: number[] = [];
  beforeAll(async () => {
    database = await createTestPostgres();
  });
  afterAll(async () => {
    for (const pid of stopped) if (isRunning(pid)) process.kill(pid, "SIGKILL");
    if (api?.exitCode === null) api.kill("SIGKILL");
    await database.destroy();
  });

  it("stops every replica it started, pids gone and ports free, within the grace period", async () => {
    const home = mkdtempSync(path.join(tmpdir(), "ks-sigterm-"));
    const port = await freePort();
    const started = await startApiProcess({
      databaseUrl: database.url ?? "",
      home,
      port,
      env: {
        AUTH_SECRET: "sigterm-secret-sigterm-secret-0123456789",
        RUNTIME_STOP_GRACE_SECONDS: String(GRACE_SECONDS),
      },
    });
    api = started.child;
    const { child, url } = started;
    const session = await createApiClient({ url }).auth.register.mutate({
      email: "sigterm@example.com",
      password: "correct horse battery",
    });
    const client = createApiClient({ url, token: session.accessToken });
    const model = await client.model.create.mutate({ name: "iris" });
    const version = await client.version.create.mutate({
      modelId: model.id,
      tag: "v1",
      framework: "onnx",
    });
    const deps = createDeps({
      db: database.prisma,
      sql: database.sql,
      config: testConfig({ KUBESERVE_HOME: home }),
      log: pino({ level: "silent" }),
    });
    await seedReadyVersion(deps, { userId: session.user.id, versionId: version.id });
    const ids: string[] = [];
    for (const [name, replicas] of [
      ["two", 2],
      ["one", 1],
    ] as const) {
      const { id } = await client.deployment.create.mutate({
        versionId: version.id,
        name,
        replicas,
      });
      await waitFor(
        async () =>
          (await client.deployment.get.query({ id })).status === "running" ? true : undefined,
        { what: `${name} running`, timeoutMs: 30_000 },
      );
      ids.push(id);
    }
    const pids = ids.flatMap(replicaProcesses);
    const ports = ids.flatMap((id) => replicaPorts(home, id));
    expect(pids).toHaveLength(3);
    expect(ports.filter((p) => p > 0)).toHaveLength(3);
    for (const p of ports) expect(await isPortFree(p)).toBe(false);
    // This one cannot act on SIGTERM: only the SIGKILL after the grace period stops it.
    const frozen = pids[0] ?? 0;
    process.kill(frozen, "SIGSTOP");
    stopped.push(frozen);

    const startedAt = performance.now();
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    const code = await exited;
    const seconds = (performance.now() - startedAt) / 1000;
    expect(code).toBe(0);
    // Drained for the grace period, then killed: not sooner, and not much later.
    expect(seconds).toBeGreaterThanOrEqual(GRACE_SECONDS - 0.5);
    expect(seconds).toBeLessThan(GRACE_SECONDS + 3);
    for (const pid of pids) expect(isRunning(pid), `replica ${pid}`).toBe(false);
    for (const id of ids) expect(replicaProcesses(id)).toEqual([]);
    for (const p of ports) expect(await isPortFree(p), `port ${p}`).toBe(true);
  });
});
