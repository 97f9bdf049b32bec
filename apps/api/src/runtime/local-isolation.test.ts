import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { readIrisSamples } from "../test/fixtures";
import { testConfig } from "../test/harness";
import type { TDesiredDeployment, TRuntimeDriver } from "./driver";
import { isolatedIdsFor } from "./local-isolation";
import { launchFor } from "./local-launch";
import { spawnReplica } from "./local-process";
import { createLocalDriver } from "./local.driver";
import { desiredLocal as desired } from "./local-fixtures";
import { runSklearnTool } from "./sklearn-tools";

// RUNTIME_ISOLATION (on by default when the API is root): each deployment's replicas run under their own
// uid. Tried from outside as the replica: a probe started through the very launch path (same uid, gid,
// environment and spawn) tries to read KUBESERVE_HOME's secrets, another deployment's model, its own logs
// and pid record, and to write the venvs. Without root there is nothing to drop, so these tests skip.

const isRoot = process.getuid?.() === 0;
const skipReason = isRoot ? "" : " (skipped: needs the API to run as root)";
const fixturesDir = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../test/fixtures",
);
const samples = readIrisSamples();
const log = pino({ level: "silent" });

const drivers: TRuntimeDriver[] = [];
afterEach(async () => {
  await Promise.all(drivers.splice(0).map((driver) => driver.close()));
});

/** A home laid out as the embedded install leaves it, with PGlite's and the store's default modes. */
function makeHome() {
  const home = mkdtempSync(path.join(tmpdir(), "ks-isolation-"));
  writeFileSync(path.join(home, "auth-secret"), "s3cret\n", { mode: 0o600 });
  mkdirSync(path.join(home, "pgdata"), { mode: 0o755 });
  writeFileSync(path.join(home, "pgdata", "PG_VERSION"), "16\n", { mode: 0o644 });
  mkdirSync(path.join(home, "artifacts", "models", "someone"), { recursive: true, mode: 0o755 });
  writeFileSync(path.join(home, "artifacts", "models", "someone", "m.onnx"), "weights", {
    mode: 0o644,
  });
  const config = testConfig({
    KUBESERVE_HOME: home,
    RUNTIME_STOP_GRACE_SECONDS: "3",
    RUNTIME_MAX_RESTARTS: "0",
    RUNTIME_READY_TIMEOUT_SECONDS: "90",
  });
  return { home, config };
}

function statusUids(pid: number | undefined): { uid: number; groups: string } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
  const groups = /^Groups:(.*)$/m.exec(status)?.[1]?.trim() ?? "?";
  return { uid, groups };
}

/** Runs `node -e probe` exactly as a replica of `spec` would be run; returns what each attempt got. */
async function probeAs(
  spec: TDesiredDeployment,
  config: ReturnType<typeof testConfig>,
  attempts: Record<string, { read?: string; write?: string }>,
): Promise<Record<string, string>> {
  const launch = await launchFor(spec, config.runtime, config.sklearn, {
    KUBESERVE_MODEL: spec.model.uri,
  });
  const script = [
    "const fs = require('node:fs');",
    `const attempts = ${JSON.stringify(attempts)};`,
    "const out = {};",
    "for (const [name, a] of Object.entries(attempts)) {",
    "  try { if (a.read) fs.readFileSync(a.read); else fs.writeFileSync(a.write, 'x'); out[name] = 'ok'; }",
    "  catch (e) { out[name] = e.code; }",
    "}",
    "console.log(JSON.stringify(out));",
  ].join("\n");
  const logFile = path.join(mkdtempSync(path.join(tmpdir(), "ks-probe-")), "probe.log");
  const spawned = await spawnReplica({
    command: process.execPath,
    args: ["-e", script],
    env: launch.env,
    uid: launch.uid,
    gid: launch.gid,
    logFile,
  });
  expect(await spawned.exited).toEqual({ code: 0, signal: null });
  return JSON.parse(readFileSync(logFile, "utf8").trim().split("\n").at(-1) ?? "{}") as Record<
    string,
    string
  >;
}

describe("runtime isolation when the API runs as root", () => {
  it(`an ONNX replica runs under its deployment's own uid and cannot read secrets or other models${skipReason}`, async (context) => {
    if (!isRoot) return context.skip();
    const { home, config } = makeHome();
    expect(config.runtime.isolation).toEqual({ uidBase: 1_600_000_000, homeDir: home });
    const driver = createLocalDriver({ config: config.runtime, sklearn: config.sklearn, log });
    drivers.push(driver);
    const mine = desired();
    const theirs = desired();
    await driver.apply(mine);
    await driver.apply(theirs);
    const [replica] = driver.status(mine.id).replicas;
    const [other] = driver.status(theirs.id).replicas;
    const owner = statusUids(replica?.pid);
    expect(owner.uid).not.toBe(0);
    expect(owner.uid).toBe(isolatedIdsFor(1_600_000_000, mine.id).uid);
    expect(owner.groups).toBe("");
    expect(statusUids(other?.pid).uid).not.toBe(owner.uid);

    // Still served on loopback to the API.
    const [endpoint] = driver.endpoints(mine.id);
    const answer = await fetch(`${endpoint?.origin}/predict`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${endpoint?.token}` },
      body: JSON.stringify({ instances: samples.inputs.slice(0, 1) }),
    });
    expect(answer.status).toBe(200);

    const ownModel = readFileSync(`/proc/${replica?.pid}/environ`, "utf8")
      .split("\0")
      .find((v) => v.startsWith("KUBESERVE_MODEL="))
      ?.slice("KUBESERVE_MODEL=".length);
    const theirModel = readFileSync(`/proc/${other?.pid}/environ`, "utf8")
      .split("\0")
      .find((v) => v.startsWith("KUBESERVE_MODEL="))
      ?.slice("KUBESERVE_MODEL=".length);
    const deploymentFolder = path.join(config.runtime.dir, mine.id);
    const result = await probeAs(mine, config, {
      ownModel: { read: ownModel ?? "" },
      authSecret: { read: path.join(home, "auth-secret") },
      pgdata: { read: path.join(home, "pgdata", "PG_VERSION") },
      storedArtifact: { read: path.join(home, "artifacts", "models", "someone", "m.onnx") },
      otherDeploymentModel: { read: theirModel ?? "" },
      ownLog: { read: path.join(deploymentFolder, `${replica?.id}.log`) },
      ownPidRecord: { read: path.join(deploymentFolder, `${replica?.id}.json`) },
      replaceOwnModel: { write: ownModel ?? "" },
      writeVenvs: { write: path.join(config.sklearn.venvDir, "planted") },
      writeHome: { write: path.join(home, "planted") },
      listHome: { read: home },
    });
    expect(theirModel).not.toBe(ownModel);
    expect(result).toEqual({
      ownModel: "ok",
      authSecret: "EACCES",
      pgdata: "EACCES",
      storedArtifact: "EACCES",
      otherDeploymentModel: "EACCES",
      ownLog: "EACCES",
      ownPidRecord: "EACCES",
      replaceOwnModel: "EACCES",
      writeVenvs: "EACCES",
      writeHome: "EACCES",
      listHome: "EACCES",
    });
  });

  it(`a scikit-learn replica runs unprivileged too and still answers${skipReason}`, async (context) => {
    if (!isRoot) return context.skip();
    const { config } = makeHome();
    const driver = createLocalDriver({ config: config.runtime, sklearn: config.sklearn, log });
    drivers.push(driver);
    const spec = desired({
      framework: "sklearn",
      model: { uri: path.join(fixturesDir, "iris-logreg.joblib"), sha256: "" },
    });
    await driver.apply(spec);
    const [replica] = driver.status(spec.id).replicas;
    expect(replica?.state).toBe("ready");
    expect(statusUids(replica?.pid).uid).toBe(isolatedIdsFor(1_600_000_000, spec.id).uid);
    const [endpoint] = driver.endpoints(spec.id);
    const answer = await fetch(`${endpoint?.origin}/predict`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${endpoint?.token}` },
      body: JSON.stringify({ instances: samples.inputs.slice(0, 2) }),
    });
    expect(answer.status).toBe(200);
    const body = (await answer.json()) as { predictions: number[][] };
    expect(body.predictions[0]?.[0]).toBeCloseTo(samples.predict_proba[0]?.[0] ?? NaN, 6);
  });

  it(`the upload's sandboxed load of a pickle drops to the sandbox uid${skipReason}`, async (context) => {
    if (!isRoot) return context.skip();
    const { config } = makeHome();
    expect(config.sklearn.sandboxUid).toBe(1_600_000_000);
    const result = await runSklearnTool(
      config.sklearn,
      ["inspect", path.join(fixturesDir, "iris-logreg.joblib")],
      { timeoutMs: 120_000 },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.answer?.sandboxUid).toBe(1_600_000_000);
  });

  it("RUNTIME_ISOLATION=off runs replicas as the API's own user", () => {
    const off = testConfig({ RUNTIME_ISOLATION: "off" });
    expect(off.runtime.isolation).toBeUndefined();
    expect(off.sklearn.sandboxUid).toBeUndefined();
    expect(() => testConfig({ RUNTIME_ISOLATION: "yes" })).toThrow(/must be auto or off/);
  });
});
