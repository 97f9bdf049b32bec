// `pnpm bench gateway [--quick] [--rounds N] [--duration S] [--cases ids] [--profile dir]`: the prediction gateway against a bare proxy
// floor (bench/gateway-floor.ts), the replica direct and the FastAPI peer (../shared/fixtures/peer_server.py),
// same models and /predict bodies as `pnpm bench inference`, wrk with 32 connections (64 for mlp-wide b1),
// the four ways interleaved round by round in one sitting. The real API process runs the gateway over
// PostgreSQL (TEST_DATABASE_URL) and the local runtime, with request logging at `warn` and the rate limit
// out of the way. Also measures the cold start of iris (create → first successful prediction).
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { createTestPostgres } from "@kubeserve/db/testing";
import { freePort } from "@kubeserve/testing";
import { pino } from "pino";
import { createApiClient } from "../src/client";
import { createDeps } from "../src/deps";
import type { TPidRecord } from "../src/runtime/local-process";
import { testConfig } from "../src/test/harness";
import { seedReadyVersion } from "../src/test/ready-version";
import { median, runWrk, type TRun } from "./wrk";

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    rounds: { type: "string" },
    duration: { type: "string" },
    // Comma-separated case ids to run (e.g. "iris b1"), for profiling one case.
    cases: { type: "string" },
    // A folder for the API process's V8 CPU profile (node --cpu-prof), written when it exits.
    profile: { type: "string" },
    // Cold starts of iris to take (each a new deployment, all but the last deleted again).
    "cold-starts": { type: "string" },
    // Only the cold starts: no wrk rounds.
    "cold-start-only": { type: "boolean", default: false },
  },
});
const rounds = Number(values.rounds ?? (values.quick ? 1 : 3));
const duration = Number(values.duration ?? (values.quick ? 3 : 10));
const coldStarts = Math.max(1, Number(values["cold-starts"] ?? 1));
const appDir = path.resolve(import.meta.dirname, "..");
const fixtures = path.resolve(
  process.env.BENCH_FIXTURES ?? path.join(appDir, "../../../shared/fixtures"),
);
const children: ChildProcess[] = [];

type TCase = { id: string; model: string; body: string; connections: number; target: number };
const cases: TCase[] = [
  {
    id: "iris b1",
    model: "iris-logreg",
    body: "bench_body_iris_b1.json",
    connections: 32,
    target: 0.85,
  },
  {
    id: "mlp-64 b32",
    model: "mlp-64",
    body: "bench_body_mlp64_b32.json",
    connections: 32,
    target: 0.9,
  },
  {
    id: "mlp-wide b1",
    model: "mlp-wide",
    body: "bench_body_mlpwide_b1.json",
    connections: 64,
    target: 0.9,
  },
];
const selected = values.cases?.split(",").map((id) => id.trim());
const runCases = selected ? cases.filter((c) => selected.includes(c.id)) : cases;
const ways = ["direct", "floor", "gateway", "peer"] as const;
type TWay = (typeof ways)[number];

function ensureTools(): void {
  const hasWrk = spawnSync("which", ["wrk"]).status === 0;
  const hasPeer =
    spawnSync("/usr/bin/python3", ["-c", "import fastapi, uvicorn, sklearn, joblib"]).status === 0;
  if (hasWrk && hasPeer) return;
  execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit" });
  execFileSync(
    "apt-get",
    [
      "install",
      "-y",
      "-qq",
      "wrk",
      "python3-fastapi",
      "python3-uvicorn",
      "python3-uvloop",
      "python3-httptools",
      "python3-sklearn",
      "python3-joblib",
    ],
    { stdio: "inherit" },
  );
}

function start(
  command: string,
  args: string[],
  env: Record<string, string>,
  cwd?: string,
): ChildProcess {
  const child = spawn(command, args, {
    env: { ...process.env, ...env },
    cwd,
    stdio: ["ignore", "ignore", "inherit"],
  });
  children.push(child);
  return child;
}

async function waitOk(
  url: string,
  headers: Record<string, string> = {},
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(url, { headers });
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`${url} not ready after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** user + system CPU time of `pid` so far, in ms (/proc/<pid>/stat fields 14 and 15, in clock ticks). */
function cpuMsOf(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return NaN;
  }
}

/** When `pid` started, in epoch ms (/proc/<pid>/stat field 22: clock ticks after boot; /proc/uptime). */
function startedEpochMsOf(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    const uptimeMs = Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]) * 1000;
    return Date.now() - uptimeMs + (Number(fields[19]) * 1000) / 100;
  } catch {
    return NaN;
  }
}

type TReplicaStart = { readyMs: number; cpuMs: number };

/** The replica's exec → "model ready" log line (wall ms) and its CPU so far (one prediction served). */
function replicaStartOf(record: TPidRecord): TReplicaStart {
  const ready = readFileSync(record.logFile, "utf8")
    .split("\n")
    .find((line) => line.includes('"msg":"model ready"'));
  const readyAt = ready ? (JSON.parse(ready) as { time: number }).time : NaN;
  return { readyMs: readyAt - startedEpochMsOf(record.pid), cpuMs: cpuMsOf(record.pid) };
}

function replicaOf(home: string, deploymentId: string): TPidRecord {
  const dir = path.join(home, "runtime", deploymentId);
  const file = readdirSync(dir).find((name) => name.endsWith(".json"));
  if (!file) throw new Error(`no replica record for ${deploymentId}`);
  return JSON.parse(readFileSync(path.join(dir, file), "utf8")) as TPidRecord;
}

/**
 * The cold-start floor: the built model-server CLI spawned directly (no API, database or supervisor), polled
 * the same way until its first successful prediction. The gateway's cold start is judged as a ratio to it.
 */
async function measureColdStartFloor(
  model: string,
  body: string,
): Promise<{ ms: number; cpuMs: number }> {
  const port = await freePort();
  const cli = path.join(appDir, "../inference/dist/cli.js");
  const startedAt = performance.now();
  const child = start(process.execPath, [cli], {
    KUBESERVE_MODEL: path.join(fixtures, `${model}.onnx`),
    KUBESERVE_MODEL_NAME: "floor",
    KUBESERVE_HOST: "127.0.0.1",
    KUBESERVE_PORT: String(port),
    KUBESERVE_AUTH_TOKEN: "cold-start-floor",
  });
  try {
    for (;;) {
      try {
        const response = await fetch(`http://127.0.0.1:${port}/v1/models/floor:predict`, {
          method: "POST",
          headers: { authorization: "Bearer cold-start-floor", "content-type": "application/json" },
          body,
        });
        await response.arrayBuffer();
        if (response.ok) return { ms: performance.now() - startedAt, cpuMs: cpuMsOf(child.pid!) };
      } catch {
        // Not listening yet.
      }
      if (performance.now() - startedAt > 60_000) throw new Error("cold-start floor never served");
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  } finally {
    child.kill("SIGTERM");
  }
}

async function main(): Promise<void> {
  ensureTools();
  const database = await createTestPostgres();
  const home = mkdtempSync(path.join(tmpdir(), "ks-bench-gateway-"));
  const apiPort = await freePort();
  const api = `http://127.0.0.1:${apiPort}`;
  const profileArgs = values.profile ? ["--cpu-prof", `--cpu-prof-dir=${values.profile}`] : [];
  start(process.execPath, [...profileArgs, "--import", "tsx", path.join(appDir, "src/server.ts")], {
    DATABASE_URL: database.url ?? "",
    KUBESERVE_HOME: home,
    API_PORT: String(apiPort),
    METRICS_PORT: String(await freePort()),
    AUTH_SECRET: "bench-secret-bench-secret-bench-secret-0123",
    LOG_LEVEL: "warn",
    GATEWAY_RATE_LIMIT_RPS: "100000000",
    GATEWAY_RATE_LIMIT_BURST: "100000000",
  });
  await waitOk(`${api}/readyz`);
  const session = await createApiClient({ url: api }).auth.register.mutate({
    email: "bench@example.com",
    password: "bench password 123",
  });
  const client = createApiClient({ url: api, token: session.accessToken });
  const seeding = createDeps({
    db: database.prisma,
    sql: database.sql,
    config: testConfig({ KUBESERVE_HOME: home }),
    log: pino({ level: "silent" }),
  });
  const { secret: key } = await client.apiKey.create.mutate({ name: "bench", kind: "predict" });

  const urls = new Map<string, Record<TWay, { url: string; token?: string; pid?: number }>>();
  const apiPid = children[0]?.pid;
  let coldStartMs = NaN;
  let storedColdStartMs: number | null = null;
  let coldStartFloor = { ms: NaN, cpuMs: NaN };
  let coldReplica: TReplicaStart = { readyMs: NaN, cpuMs: NaN };
  const coldRuns: (TReplicaStart & { ms: number })[] = [];
  for (const c of runCases) {
    const name = c.model.replace(/[^a-z0-9]/g, "");
    const model = await client.model.create.mutate({ name });
    const version = await client.version.create.mutate({
      modelId: model.id,
      tag: "v1",
      framework: "onnx",
    });
    await seedReadyVersion(seeding, {
      userId: session.user.id,
      versionId: version.id,
      file: path.join(fixtures, `${c.model}.onnx`),
    });
    const body = readFileSync(path.join(fixtures, c.body), "utf8");
    // create → first successful prediction through the gateway
    const deployOnce = async (deploymentName: string) => {
      const createdAt = performance.now();
      const created = await client.deployment.create.mutate({
        versionId: version.id,
        name: deploymentName,
      });
      for (;;) {
        const response = await fetch(`${api}/api/v1/predict/${created.id}`, {
          method: "POST",
          headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
          body,
        });
        await response.arrayBuffer();
        if (response.ok) break;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      return { id: created.id, ms: performance.now() - createdAt };
    };
    const isIris = c.model === "iris-logreg";
    for (let i = 1; isIris && i < coldStarts; i++) {
      const extra = await deployOnce(`${name}-cold${i}`);
      coldRuns.push({ ms: extra.ms, ...replicaStartOf(replicaOf(home, extra.id)) });
      await client.deployment.delete.mutate({ id: extra.id });
    }
    const deployment = await deployOnce(name);
    if (isIris) {
      coldStartMs = deployment.ms;
      coldReplica = replicaStartOf(replicaOf(home, deployment.id));
      coldRuns.push({ ms: deployment.ms, ...coldReplica });
      await new Promise((resolve) => setTimeout(resolve, 200));
      storedColdStartMs = (await client.deployment.get.query({ id: deployment.id })).coldStartMs;
      coldStartFloor = await measureColdStartFloor(c.model, body);
    }
    if (values["cold-start-only"]) continue;
    const gatewayUrl = `${api}/api/v1/predict/${deployment.id}`;
    const replica = replicaOf(home, deployment.id);
    const upstream = `/v1/models/${name}:predict`;
    const floorPort = await freePort();
    const floor = start(
      process.execPath,
      [
        ...profileArgs,
        "--import",
        "tsx",
        path.join(appDir, "bench/gateway-floor.ts"),
        String(floorPort),
        `http://127.0.0.1:${replica.port}`,
        replica.token,
        upstream,
      ],
      {},
    );
    const peerPort = await freePort();
    start(
      "/usr/bin/python3",
      [
        "-m",
        "uvicorn",
        "peer_server:app",
        "--host",
        "127.0.0.1",
        "--port",
        String(peerPort),
        "--workers",
        "2",
        "--log-level",
        "warning",
      ],
      { MODEL_PATH: `${c.model}.joblib`, OPENBLAS_NUM_THREADS: "1" },
      fixtures,
    );
    await waitOk(`http://127.0.0.1:${peerPort}/health`);
    urls.set(c.id, {
      direct: {
        url: `http://127.0.0.1:${replica.port}${upstream}`,
        token: replica.token,
        pid: replica.pid,
      },
      floor: { url: `http://127.0.0.1:${floorPort}/`, pid: floor.pid },
      gateway: { url: gatewayUrl, token: key, ...(apiPid ? { pid: apiPid } : {}) },
      peer: { url: `http://127.0.0.1:${peerPort}/predict` },
    });
  }
  await new Promise((resolve) => setTimeout(resolve, 1000));

  const results = new Map<string, TRun[]>();
  const throughputCases = values["cold-start-only"] ? [] : runCases;
  for (let round = 0; round <= rounds; round++) {
    for (const c of runCases) {
      for (const way of ways) {
        const target = urls.get(c.id)?.[way];
        if (!target) continue;
        // Round 0 warms every server and JIT up; it is not counted.
        const cpuBefore = target.pid ? cpuMsOf(target.pid) : NaN;
        const run = runWrk(
          target.url,
          path.join(fixtures, c.body),
          c.connections,
          round === 0 ? 1 : duration,
          target.token,
        );
        // CPU time of the process in front (the proxy, or the replica when direct) per request.
        run.cpuUsPerRequest = target.pid
          ? ((cpuMsOf(target.pid) - cpuBefore) * 1000) / run.requests
          : NaN;
        if (round === 0) continue;
        if (run.invalidReason) console.log(`  ${c.id} ${way}: INVALID (${run.invalidReason})`);
        else results.set(`${c.id}|${way}`, [...(results.get(`${c.id}|${way}`) ?? []), run]);
      }
    }
  }

  const pick = (id: string, way: TWay, key: "rps" | "p50" | "p99" | "cpuUsPerRequest") =>
    median((results.get(`${id}|${way}`) ?? []).map((r) => r[key] ?? NaN));
  console.log(`\ngateway bench: ${rounds} round(s) × ${duration} s, wrk -t2\n`);
  console.log(
    "case         | way     |    req/s |  p50 ms |  p99 ms | CPU µs/req of the process in front",
  );
  for (const c of throughputCases) {
    for (const way of ways) {
      const cpu = pick(c.id, way, "cpuUsPerRequest");
      console.log(
        `${c.id.padEnd(12)} | ${way.padEnd(7)} | ${pick(c.id, way, "rps").toFixed(0).padStart(8)} | ${pick(c.id, way, "p50").toFixed(2).padStart(7)} | ${pick(c.id, way, "p99").toFixed(2).padStart(7)} | ${Number.isFinite(cpu) ? cpu.toFixed(1).padStart(7) : "      –"}`,
      );
    }
  }
  let isPass = true;
  const verdict = (ok: boolean) => {
    isPass &&= ok;
    return ok ? "PASS" : "FAIL";
  };
  console.log("\ntargets (ratios within this run)");
  for (const c of throughputCases) {
    const ratio = pick(c.id, "gateway", "rps") / pick(c.id, "floor", "rps");
    const p50Over = pick(c.id, "gateway", "p50") - pick(c.id, "floor", "p50");
    const overUs = 1e6 / pick(c.id, "gateway", "rps") - 1e6 / pick(c.id, "floor", "rps");
    const cpuOverUs =
      pick(c.id, "gateway", "cpuUsPerRequest") - pick(c.id, "floor", "cpuUsPerRequest");
    console.log(
      `  ${c.id}: gateway/floor req/s ${ratio.toFixed(2)} (≥ ${c.target}) ${verdict(ratio >= c.target)}; p50 +${p50Over.toFixed(2)} ms (≤ 0.3) ${verdict(p50Over <= 0.3)}; ≈${overUs.toFixed(1)} µs of machine time per request over the floor; gateway process CPU ${pick(c.id, "gateway", "cpuUsPerRequest").toFixed(1)} µs/req vs floor ${pick(c.id, "floor", "cpuUsPerRequest").toFixed(1)} (+${cpuOverUs.toFixed(1)} µs)`,
    );
  }
  const vsPeer = (id: string) => pick(id, "gateway", "rps") / pick(id, "peer", "rps");
  const isRun = (id: string) => runCases.some((c) => c.id === id);
  for (const [id, target] of [
    ["iris b1", 2],
    ["mlp-wide b1", 5],
  ] as const) {
    if (!throughputCases.some((c) => c.id === id)) continue;
    console.log(
      `  ${id}: gateway/peer ${vsPeer(id).toFixed(2)} (≥ ${target}) ${verdict(vsPeer(id) >= target)}`,
    );
  }
  if (isRun("iris b1")) {
    console.log(
      `  cold start iris (create → first prediction through the gateway): ${coldStartMs.toFixed(0)} ms, stored ${storedColdStartMs ?? "–"} ms (< 1000) ${verdict(coldStartMs < 1000)}`,
    );
    console.log(
      `    model server exec → ready ${coldReplica.readyMs.toFixed(0)} ms, its CPU to the first prediction ${coldReplica.cpuMs.toFixed(0)} ms; API and gateway around it +${(coldStartMs - coldReplica.readyMs).toFixed(0)} ms`,
    );
    if (coldRuns.length > 1) {
      const each = coldRuns.map(
        (r) => `${r.ms.toFixed(0)}/${r.readyMs.toFixed(0)}/${r.cpuMs.toFixed(0)}`,
      );
      console.log(
        `    ${coldRuns.length} cold starts (create→prediction / exec→ready / replica CPU, ms): ${each.join(", ")}; medians ${median(coldRuns.map((r) => r.ms)).toFixed(0)} / ${median(coldRuns.map((r) => r.readyMs)).toFixed(0)} / ${median(coldRuns.map((r) => r.cpuMs)).toFixed(0)}`,
      );
    }
    console.log(
      `    floor (CLI spawned directly → first prediction) ${coldStartFloor.ms.toFixed(0)} ms, CPU ${coldStartFloor.cpuMs.toFixed(0)} ms; ratio ${(coldStartMs / coldStartFloor.ms).toFixed(2)}, over the floor +${(coldStartMs - coldStartFloor.ms).toFixed(0)} ms`,
    );
  }
  console.log(isPass ? "\nPASS" : "\nFAIL");

  for (const child of children.slice(1)) child.kill("SIGTERM");
  const [apiChild] = children;
  if (apiChild) {
    const exited = new Promise((resolve) => apiChild.once("exit", resolve));
    apiChild.kill("SIGTERM");
    await exited;
  }
  await seeding.runtimes.close();
  await database.destroy();
  process.exit(isPass ? 0 : 1);
}

main().catch((error: unknown) => {
  console.error(error);
  for (const child of children) child.kill("SIGKILL");
  process.exit(1);
});
