import { randomUUID } from "node:crypto";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { testConfig } from "../test/harness";
import { readIrisSamples } from "../test/fixtures";
import type { TDesiredDeployment, TRuntimeDriver } from "./driver";
import { createLocalDriver } from "./local.driver";

// The local runtime with scikit-learn versions: the framework picks kubeserve_sklearn under SKLEARN_PYTHON,
// the replica token guards it as it guards apps/inference, and what cannot start fails with the reason.

const fixturesDir = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../test/fixtures",
);
const irisJoblib = path.join(fixturesDir, "iris-logreg.joblib");
const runtimeDir = path.resolve(fixturesDir, "../../../../runtimes/sklearn");
const samples = readIrisSamples();
const log = pino({ level: "silent" });

const drivers: TRuntimeDriver[] = [];
afterEach(async () => {
  await Promise.all(drivers.splice(0).map((driver) => driver.close()));
});

function newDriver(overrides: Record<string, string> = {}): TRuntimeDriver {
  const dir = mkdtempSync(path.join(tmpdir(), "ks-sklearn-runtime-"));
  const config = testConfig({
    RUNTIME_DIR: dir,
    RUNTIME_STOP_GRACE_SECONDS: "3",
    RUNTIME_MAX_RESTARTS: "0",
    RUNTIME_READY_TIMEOUT_SECONDS: "90",
    SKLEARN_VENV_DIR: path.join(dir, "venvs"),
    ...overrides,
  });
  const driver = createLocalDriver({ config: config.runtime, sklearn: config.sklearn, log });
  drivers.push(driver);
  return driver;
}

function desired(overrides: Partial<TDesiredDeployment> = {}): TDesiredDeployment {
  return {
    id: randomUUID(),
    name: "iris",
    modelName: "iris",
    generation: 1,
    model: { uri: irisJoblib, sha256: "" },
    framework: "sklearn",
    replicas: 1,
    resources: {},
    runtimeOptions: { batching: "auto", maxBatchSize: 32, maxQueueDelayMs: 1 },
    ...overrides,
  };
}

function requirementsFile(text: string): { uri: string; sha256: string } {
  const file = path.join(mkdtempSync(path.join(tmpdir(), "ks-reqs-")), "requirements.txt");
  writeFileSync(file, text);
  return { uri: file, sha256: "" };
}

async function predict(origin: string, headers: Record<string, string>) {
  const response = await fetch(`${origin}/predict`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ instances: samples.inputs }),
  });
  return { status: response.status, body: (await response.json()) as { predictions?: number[][] } };
}

describe("local runtime with scikit-learn versions", () => {
  it("runs kubeserve_sklearn for an sklearn version; it answers only with the replica token", async () => {
    const driver = newDriver();
    const spec = desired();
    await driver.apply(spec);
    expect(driver.status(spec.id)).toMatchObject({ phase: "running" });
    const [endpoint] = driver.endpoints(spec.id);
    if (!endpoint) throw new Error("no endpoint");
    const metadata = await fetch(`${endpoint.origin}/v2/models/iris`, {
      headers: { authorization: `Bearer ${endpoint.token}` },
    });
    expect(((await metadata.json()) as { platform: string }).platform).toBe("sklearn");
    const ok = await predict(endpoint.origin, { authorization: `Bearer ${endpoint.token}` });
    expect(ok.status).toBe(200);
    ok.body.predictions?.flat().forEach((p, i) => {
      expect(Math.abs(p - (samples.predict_proba.flat()[i] ?? NaN))).toBeLessThan(1e-6);
    });
    expect((await predict(endpoint.origin, { "x-kubeserve-token": endpoint.token })).status).toBe(
      200,
    );
    expect((await predict(endpoint.origin, {})).status).toBe(401);
    expect(
      (await predict(endpoint.origin, { authorization: "Bearer not-the-token-at-all" })).status,
    ).toBe(401);
  });

  it("a requirements.txt the base interpreter satisfies runs on it, without building a venv", async () => {
    const driver = newDriver();
    const spec = desired({ requirements: requirementsFile("numpy>=1.0\nscikit-learn>=1.0\n") });
    await driver.apply(spec);
    const status = driver.status(spec.id);
    expect(status).toMatchObject({ phase: "running" });
    const pid = status.replicas[0]?.pid;
    expect(realpathSync(`/proc/${pid}/exe`)).toBe(realpathSync("/usr/bin/python3"));
  });

  it("a requirement from a local wheelhouse is installed into a venv per requirements hash, which serves", async () => {
    const wheels = mkdtempSync(path.join(tmpdir(), "ks-wheels-"));
    // The runtime's own test helper writes a tiny pure-Python wheel with zipfile (no setup.py anywhere).
    execFileSync(
      "/usr/bin/python3",
      [
        "-c",
        "import sys; from pathlib import Path; from tests.test_venv import build_wheel; build_wheel(Path(sys.argv[1]))",
        wheels,
      ],
      { cwd: runtimeDir },
    );
    const venvs = mkdtempSync(path.join(tmpdir(), "ks-venvs-"));
    const driver = newDriver({
      PIP_NO_INDEX: "1",
      PIP_FIND_LINKS: wheels,
      SKLEARN_VENV_DIR: venvs,
    });
    const spec = desired({ requirements: requirementsFile("kubeserve-tinypkg==1.0.0\n") });
    await driver.apply(spec);
    const status = driver.status(spec.id);
    expect(status.phase, status.reason).toBe("running");
    const argv0 = readFileSync(`/proc/${status.replicas[0]?.pid}/cmdline`, "utf8").split("\0")[0];
    expect(argv0?.startsWith(`${venvs}/`)).toBe(true);
    const [endpoint] = driver.endpoints(spec.id);
    if (!endpoint) throw new Error("no endpoint");
    expect(
      (await predict(endpoint.origin, { authorization: `Bearer ${endpoint.token}` })).status,
    ).toBe(200);
  });

  it("a requirement no index or wheelhouse has → failed with pip's reason, no restarts", async () => {
    const driver = newDriver({ PIP_NO_INDEX: "1" });
    const spec = desired({ requirements: requirementsFile("kubeserve-no-such-package==9.9\n") });
    await driver.apply(spec);
    const status = driver.status(spec.id);
    expect(status.phase).toBe("failed");
    expect(status.reason).toMatch(/requirements\.txt could not be installed/);
    expect(status.reason).toMatch(/kubeserve-no-such-package/i);
    expect(driver.endpoints(spec.id)).toEqual([]);
  });

  it("an interpreter that is missing → failed at deploy naming SKLEARN_PYTHON", async () => {
    const driver = newDriver({ SKLEARN_PYTHON: "/nonexistent/python3" });
    const spec = desired();
    await driver.apply(spec);
    const status = driver.status(spec.id);
    expect(status.phase).toBe("failed");
    expect(status.reason).toMatch(/SKLEARN_PYTHON=\/nonexistent\/python3/);
  });

  it("an interpreter without scikit-learn (the bare python3 on PATH) → failed naming what is missing", async () => {
    const bare = mkdtempSync(path.join(tmpdir(), "ks-bare-python-"));
    const script = path.join(bare, "python3");
    // A Python with an empty module path stands in for one without numpy and scikit-learn.
    writeFileSync(script, '#!/bin/sh\nexec /usr/bin/python3 -I -S "$@"\n', { mode: 0o755 });
    const driver = newDriver({ SKLEARN_PYTHON: script });
    const spec = desired();
    await driver.apply(spec);
    const status = driver.status(spec.id);
    expect(status.phase).toBe("failed");
    expect(status.reason).toMatch(/cannot import numpy/);
  });
});
