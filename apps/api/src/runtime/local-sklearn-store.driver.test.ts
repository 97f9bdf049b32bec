import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { artifactKey, createArtifactStore, type TArtifactStore } from "@kubeserve/storage";
import { startTestDriver, type TTestDriver } from "@kubeserve/storage/testing";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { testConfig } from "../test/harness";
import type { TDesiredDeployment, TRuntimeDriver } from "./driver";
import { createLocalDriver } from "./local.driver";

// A version's requirements.txt is an object in the artifact store; the local runtime reads it through the
// store (s3rver here, the real S3 protocol) and builds the venv from it, as it does on the fs store.

const fixturesDir = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../test/fixtures",
);
const runtimeDir = path.resolve(fixturesDir, "../../../../runtimes/sklearn");
const log = pino({ level: "silent" });

function buildWheelhouse(): string {
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
  return wheels;
}

describe.each(["s3", "fs"] as const)("requirements.txt on the %s store", (storeName) => {
  let storage: TTestDriver;
  let store: TArtifactStore;
  let wheels: string;
  const drivers: TRuntimeDriver[] = [];
  beforeAll(async () => {
    storage = await startTestDriver(storeName);
    store = createArtifactStore(storage.config);
    await store.ensureReady();
    wheels = buildWheelhouse();
  });
  afterEach(async () => {
    await Promise.all(drivers.splice(0).map((driver) => driver.close()));
  });
  afterAll(() => storage?.stop());

  function newDriver(): { driver: TRuntimeDriver; venvs: string } {
    const dir = mkdtempSync(path.join(tmpdir(), "ks-sklearn-store-"));
    const config = testConfig({
      RUNTIME_DIR: dir,
      RUNTIME_STOP_GRACE_SECONDS: "3",
      RUNTIME_MAX_RESTARTS: "0",
      RUNTIME_READY_TIMEOUT_SECONDS: "90",
      SKLEARN_VENV_DIR: path.join(dir, "venvs"),
      PIP_NO_INDEX: "1",
      PIP_FIND_LINKS: wheels,
    });
    const driver = createLocalDriver({
      config: config.runtime,
      sklearn: config.sklearn,
      store,
      log,
    });
    drivers.push(driver);
    return { driver, venvs: config.sklearn.venvDir };
  }

  async function storedRequirements(text: string): Promise<string> {
    const key = artifactKey({
      userId: randomUUID(),
      modelName: "iris",
      versionTag: "v1",
      filename: "requirements.txt",
    });
    await store.put(key, Readable.from([Buffer.from(text)]));
    return key;
  }

  function desired(requirementsKey: string): TDesiredDeployment {
    return {
      id: randomUUID(),
      name: "iris",
      modelName: "iris",
      generation: 1,
      model: { uri: path.join(fixturesDir, "iris-logreg.joblib"), sha256: "" },
      framework: "sklearn",
      requirements: { uri: requirementsKey, sha256: "" },
      replicas: 1,
      resources: {},
      runtimeOptions: { batching: "auto", maxBatchSize: 32, maxQueueDelayMs: 1 },
    };
  }

  it("a requirement from a wheelhouse, listed in a stored requirements.txt, is installed into a venv that serves", async () => {
    const { driver, venvs } = newDriver();
    const spec = desired(await storedRequirements("kubeserve-tinypkg==1.0.0\n"));
    await driver.apply(spec);
    const status = driver.status(spec.id);
    expect(status.phase, status.reason).toBe("running");
    const argv0 = readFileSync(`/proc/${status.replicas[0]?.pid}/cmdline`, "utf8").split("\0")[0];
    expect(argv0?.startsWith(`${venvs}/`)).toBe(true);
  });

  it("a requirements.txt missing from the store → failed naming the store read, no restarts", async () => {
    const { driver } = newDriver();
    const spec = desired(
      artifactKey({
        userId: randomUUID(),
        modelName: "gone",
        versionTag: "v1",
        filename: "requirements.txt",
      }),
    );
    await driver.apply(spec);
    const status = driver.status(spec.id);
    expect(status.phase).toBe("failed");
    expect(status.reason).toMatch(/requirements\.txt could not be read from the store/);
  });
});
