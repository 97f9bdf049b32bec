import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { networkInterfaces, tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { waitFor } from "@kubeserve/testing";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { testConfig } from "../test/harness";
import { readIrisSamples } from "../test/fixtures";
import type { TRuntimeDriver } from "./driver";
import { createLocalDriver } from "./local.driver";
import { desiredLocal as desired } from "./local-fixtures";
import { isAlive } from "./local-process";

const testDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../test");
const log = pino({ level: "silent" });
const samples = readIrisSamples();

function runtimeConfig(dir: string, overrides: Record<string, string> = {}) {
  return testConfig({
    RUNTIME_DIR: dir,
    RUNTIME_WATCHDOG_MS: "200",
    RUNTIME_STOP_GRACE_SECONDS: "3",
    ...overrides,
  }).runtime;
}

async function predict(origin: string, token: string | undefined) {
  const response = await fetch(`${origin}/predict`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ instances: samples.inputs.slice(0, 2) }),
  });
  return { status: response.status, body: (await response.json()) as { predictions?: number[][] } };
}

const drivers: TRuntimeDriver[] = [];
afterEach(async () => {
  await Promise.all(drivers.splice(0).map((driver) => driver.close()));
});

function newDriver(dir: string, overrides: Record<string, string> = {}): TRuntimeDriver {
  const driver = createLocalDriver({ config: runtimeConfig(dir, overrides), log });
  drivers.push(driver);
  return driver;
}

describe("local runtime driver", () => {
  it("runs a replica on 127.0.0.1 that needs its own token, scales, stops and deletes", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "ks-runtime-"));
    const driver = newDriver(dir);
    const spec = desired();
    const startedAt = Date.now();
    await driver.apply(spec);
    expect(Date.now() - startedAt).toBeLessThan(10_000);
    expect(driver.status(spec.id)).toMatchObject({ phase: "running", desiredReplicas: 1 });
    const [endpoint] = driver.endpoints(spec.id);
    expect(endpoint?.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    if (!endpoint) throw new Error("no endpoint");
    // Bound to loopback only: the machine's other addresses do not answer on the replica's port.
    const port = Number(new URL(endpoint.origin).port);
    const external = Object.values(networkInterfaces())
      .flat()
      .find((address) => address && address.family === "IPv4" && !address.internal);
    if (external) {
      await expect(fetch(`http://${external.address}:${port}/v2/health/live`)).rejects.toThrow();
    }
    // Other local processes cannot reach the model around the gateway.
    expect((await predict(endpoint.origin, undefined)).status).toBe(401);
    expect((await predict(endpoint.origin, "not-the-replica-token-0123")).status).toBe(401);
    const ok = await predict(endpoint.origin, endpoint.token);
    expect(ok.status).toBe(200);
    expect(ok.body.predictions?.[0]?.[0]).toBeCloseTo(samples.predict_proba[0]?.[0] ?? NaN, 4);

    await driver.scale(spec.id, 2);
    const two = driver.endpoints(spec.id);
    expect(two).toHaveLength(2);
    expect(new Set(two.map((e) => e.token)).size).toBe(2);
    for (const e of two) expect((await predict(e.origin, e.token)).status).toBe(200);
    const pids = driver.status(spec.id).replicas.map((r) => r.pid ?? 0);

    const logs = await driver.logs(spec.id, 5);
    expect(logs).toHaveLength(2);
    expect(logs[0]?.lines.join("\n")).toContain("model ready");

    await driver.stop(spec.id);
    expect(driver.status(spec.id).phase).toBe("stopped");
    expect(driver.endpoints(spec.id)).toEqual([]);
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
    await driver.delete(spec.id);
    expect(driver.status(spec.id).phase).toBe("absent");
    expect(readdirSync(dir)).toEqual([]);
  });

  it("restarts a replica killed with SIGKILL and serves again within 5 s", async () => {
    const driver = newDriver(mkdtempSync(path.join(tmpdir(), "ks-runtime-")));
    const spec = desired();
    await driver.apply(spec);
    const [before] = driver.status(spec.id).replicas;
    process.kill(before?.pid ?? 0, "SIGKILL");
    const killedAt = Date.now();
    const endpoint = await waitFor(
      () =>
        driver
          .endpoints(spec.id)
          .find((e) => driver.status(spec.id).replicas[0]?.pid !== before?.pid && e),
      { what: "restarted replica", timeoutMs: 5000, intervalMs: 20 },
    );
    expect((await predict(endpoint.origin, endpoint.token)).status).toBe(200);
    expect(Date.now() - killedAt).toBeLessThan(5000);
    expect(driver.status(spec.id).replicas[0]).toMatchObject({ restarts: 1, state: "ready" });
  });

  it("marks a model that crashes on start failed with its last log lines, after a bounded number of restarts", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "ks-runtime-"));
    const broken = path.join(dir, "broken.onnx");
    writeFileSync(broken, "this is not an onnx file");
    const driver = newDriver(dir, { RUNTIME_MAX_RESTARTS: "2", RUNTIME_RESTART_BACKOFF_MS: "50" });
    const spec = desired({ model: { uri: broken, sha256: "" } });
    const starts: number[] = [];
    driver.watch((s) => {
      if (s.deploymentId === spec.id && s.replicas[0]?.state === "starting")
        starts.push(Date.now());
    });
    await driver.apply(spec);
    // The model server can be ready before the watchdog's first RSS sample, so apply may return running.
    const status = await waitFor(
      () => (driver.status(spec.id).phase === "failed" ? driver.status(spec.id) : undefined),
      { what: "OOMKilled replica marked failed", timeoutMs: 10_000, intervalMs: 20 },
    );
    expect(status.reason).toMatch(/failed 3 times in a row/);
    expect(status.reason).toMatch(/exited with code 1/);
    // Three starts (the first and two restarts), then nothing more: no restart storm.
    const count = new Set(starts.map((t) => Math.floor(t / 10))).size;
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(new Set(starts.map((t) => Math.floor(t / 10))).size).toBe(count);
    expect(driver.endpoints(spec.id)).toEqual([]);
  });

  it("kills a replica over its memory limit with an OOMKilled reason", async () => {
    const driver = newDriver(mkdtempSync(path.join(tmpdir(), "ks-runtime-")), {
      RUNTIME_MAX_RESTARTS: "1",
      RUNTIME_RESTART_BACKOFF_MS: "50",
    });
    const spec = desired({ resources: { memoryLimit: "8Mi" } });
    await driver.apply(spec);
    // The model server can be ready before the watchdog's first RSS sample, so apply may return running.
    const status = await waitFor(
      () => (driver.status(spec.id).phase === "failed" ? driver.status(spec.id) : undefined),
      { what: "OOMKilled replica marked failed", timeoutMs: 10_000, intervalMs: 20 },
    );
    expect(status.reason).toMatch(
      /OOMKilled: resident memory \d+ MiB exceeded the memory limit 8Mi/,
    );
  });

  it("adopts the replicas of a previous API process and stops those nobody wants (no orphans)", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "ks-runtime-"));
    const kept = desired();
    const dropped = desired();
    // node itself with tsx's loader, not the tsx binary: SIGKILL must hit the supervisor, not a wrapper
    // that would leave it (and its replicas) running after the test.
    const host = spawn(
      process.execPath,
      ["--import", "tsx", path.join(testDir, "runtime-host.ts"), JSON.stringify([kept, dropped])],
      {
        env: { ...process.env, RUNTIME_DIR: dir, KUBESERVE_HOME: dir, AUTH_SECRET: "x".repeat(40) },
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    const lines = createInterface({ input: host.stdout });
    const [line] = (await once(lines, "line")) as [string];
    lines.close();
    host.stdout.destroy();
    const { pids } = JSON.parse(line) as { pids: number[][] };
    const keptPid = pids[0]?.[0] ?? 0;
    const droppedPid = pids[1]?.[0] ?? 0;
    host.kill("SIGKILL");
    await once(host, "exit");
    expect(isAlive(keptPid) && isAlive(droppedPid)).toBe(true);

    // As after `kill -9` of the API: the processes live on, a new supervisor starts over the same folder.
    const second = newDriver(dir);
    await second.reconcile([kept]);
    expect(second.status(kept.id).phase).toBe("running");
    expect(second.status(kept.id).replicas.map((r) => r.pid)).toEqual([keptPid]);
    expect(isAlive(droppedPid)).toBe(false);
    const [endpoint] = second.endpoints(kept.id);
    expect((await predict(endpoint?.origin ?? "", endpoint?.token)).status).toBe(200);

    // An adopted replica that dies is noticed (it is not our child) and restarted.
    process.kill(keptPid, "SIGKILL");
    await waitFor(
      () =>
        (second.status(kept.id).replicas[0]?.pid !== keptPid && second.endpoints(kept.id)[0]) ||
        undefined,
      {
        what: "replacement of the adopted replica",
        timeoutMs: 5000,
      },
    );
    await second.close();
    drivers.splice(drivers.indexOf(second), 1);
    expect(isAlive(keptPid)).toBe(false);
  });
});
