/**
 * `pnpm bench inference [--quick] [--rounds N] [--duration S] [--json-only]`: the JSON scanner
 * on hostile bodies against JSON.parse (in process), then this server vs the FastAPI peer
 * (../shared/fixtures/peer_server.py) on loopback with wrk, same models, bodies and protocol
 * unless a row says otherwise. Installs wrk and the peer's Debian packages when missing (root).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ort from "onnxruntime-node";
import { startOurs, startPeer, stopServer } from "./servers";
import { type TBody, type TRun, jsonBody, runWrk } from "./wrk";

const APP = fileURLToPath(new URL("..", import.meta.url));
const FIXTURES = path.resolve(
  process.env.BENCH_FIXTURES ?? path.join(APP, "../../../shared/fixtures"),
);
const args = process.argv.slice(2);
const isQuick = args.includes("--quick");
const option = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const ROUNDS = option("--rounds", isQuick ? 2 : 3);
const DURATION = option("--duration", isQuick ? 4 : 10);
const WARMUP = isQuick ? 1 : 2;
const BENCH_TOKEN = "bench-replica-token-0123456789abcdef";
const APT_PACKAGES = [
  "wrk",
  "python3-fastapi",
  "python3-uvicorn",
  "python3-uvloop",
  "python3-httptools",
  "python3-sklearn",
  "python3-joblib",
];

type TCase = {
  id: string;
  model: string;
  rows: number;
  path: string;
  body: TBody;
  peerBody: TBody;
  /** the peer's runs of another case with the same model and body stand for this case */
  peerFrom?: string;
  connections: number[];
};

type TConfig = {
  label: string;
  kind: "peer" | "ours";
  workers: number;
  batching: string;
  extraArgs: string[];
  authToken?: string;
};

function ensureTools(): void {
  const hasWrk = spawnSync("which", ["wrk"]).status === 0;
  const hasPython =
    spawnSync("/usr/bin/python3", [
      "-c",
      "import fastapi, uvicorn, uvloop, httptools, sklearn, joblib",
    ]).status === 0;
  if (hasWrk && hasPython) return;
  console.log(`installing ${APT_PACKAGES.join(" ")} with apt-get …`);
  execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit" });
  execFileSync("apt-get", ["install", "-y", "-qq", ...APT_PACKAGES], { stdio: "inherit" });
}

/** The mlp-wide b32 rows as a V2 binary tensor extension request with binary outputs. */
function makeBinaryBody(dir: string): TBody {
  const rows = (
    JSON.parse(readFileSync(path.join(FIXTURES, "bench_body_mlpwide_b32.json"), "utf8")) as {
      instances: number[][];
    }
  ).instances;
  const data = Float32Array.from(rows.flat());
  const header = Buffer.from(
    JSON.stringify({
      inputs: [
        {
          name: "input",
          shape: [rows.length, rows[0]!.length],
          datatype: "FP32",
          parameters: { binary_data_size: data.byteLength },
        },
      ],
      parameters: { binary_data_output: true },
    }),
  );
  const file = path.join(dir, "mlpwide_b32.bin");
  writeFileSync(file, Buffer.concat([header, Buffer.from(data.buffer)]));
  return { file, contentType: "application/octet-stream", headerLength: header.length };
}

/**
 * The cost of --auth-token: an open and a token-guarded server side by side, wrk alternating
 * between them, so both see the same moment of a shared machine; the median of the pair ratios.
 */
async function measureAuthCost(pairs: number, seconds: number) {
  const open = await startOurs(FIXTURES, "iris-logreg", { ...OURS(1) });
  const guarded = await startOurs(FIXTURES, "iris-logreg", { ...OURS(1), authToken: BENCH_TOKEN });
  try {
    const body = jsonBody(FIXTURES, "bench_body_iris_b1.json");
    const openUrl = `http://127.0.0.1:${open.port}/predict`;
    const guardedUrl = `http://127.0.0.1:${guarded.port}/predict`;
    runWrk(openUrl, body, 16, WARMUP);
    runWrk(guardedUrl, body, 16, WARMUP, BENCH_TOKEN);
    const ratios: number[] = [];
    const invalid: string[] = [];
    for (let i = 0; i < pairs; i++) {
      const a = runWrk(openUrl, body, 16, seconds);
      const b = runWrk(guardedUrl, body, 16, seconds, BENCH_TOKEN);
      if (a.invalidReason || b.invalidReason) {
        invalid.push(a.invalidReason ?? b.invalidReason!);
        continue;
      }
      ratios.push(b.rps / a.rps);
      console.log(
        `auth pair ${i + 1}  open ${fmt(a.rps)} req/s  with token ${fmt(b.rps)} req/s  ratio ${fmt(b.rps / a.rps, 2)}`,
      );
    }
    ratios.sort((x, y) => x - y);
    return { ratio: ratios[Math.floor(ratios.length / 2)], valid: ratios.length, invalid };
  } finally {
    await stopServer(open.child);
    await stopServer(guarded.child);
  }
}

/** Mean µs of `await session.run` for the case's batch: the physical limit per request. */
async function measureSessionRun(model: string, rows: number): Promise<number> {
  const session = await ort.InferenceSession.create(path.join(FIXTURES, `${model}.onnx`), {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    extra: { session: { "intra_op.allow_spinning": "0" } },
  });
  const meta = session.inputMetadata[0]!;
  const width = meta.isTensor ? Number(meta.shape[1]) : 0;
  const feeds = {
    input: new ort.Tensor("float32", new Float32Array(rows * width).fill(0.5), [rows, width]),
  };
  for (let i = 0; i < 200; i++) await session.run(feeds);
  const means: number[] = [];
  for (let r = 0; r < 3; r++) {
    const n = 1000;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await session.run(feeds);
    means.push(((performance.now() - t0) * 1000) / n);
  }
  await session.release();
  return means.sort((a, b) => a - b)[1]!;
}

const PEER: TConfig = {
  label: "peer (FastAPI, JSON)",
  kind: "peer",
  workers: 2,
  batching: "-",
  extraArgs: [],
};
const OURS = (workers: number, batching = "auto"): TConfig => ({
  label: `ours w${workers}${batching === "off" ? " batching off" : ""}`,
  kind: "ours",
  workers,
  batching,
  extraArgs: [],
});
// Not the default: a per-model setting (like Triton's max_batch_size) that lets two 32-row requests
// share one run, shown because mlp-wide is bound by streaming its weights once per run.
const OURS_BATCH64: TConfig = {
  ...OURS(2),
  label: "ours w2 max-batch 64",
  extraArgs: ["--max-batch-size", "64"],
};

type TSummary = { run: TRun | undefined; valid: number; invalid: string[] };

// Invalid rounds (non-2xx, socket errors) are left out; ours: median valid round by req/s.
function summarize(runs: TRun[], pick: "median" | "best"): TSummary {
  const valid = runs.filter((r) => r.invalidReason === undefined).sort((a, b) => a.rps - b.rps);
  const invalid = runs.flatMap((r) => (r.invalidReason ? [r.invalidReason] : []));
  const run =
    valid.length === 0
      ? undefined
      : pick === "best"
        ? valid[valid.length - 1]
        : valid[Math.floor(valid.length / 2)];
  return { run, valid: valid.length, invalid };
}

const fmt = (n: number | undefined, digits = 0) =>
  n !== undefined && Number.isFinite(n) ? n.toFixed(digits) : "–";

/** The scanner table, from a tsup bundle like dist/ (tsx would not inline its const enums). */
function runJsonBenchBundled(repeats: number): boolean {
  const out = mkdtempSync(path.join(tmpdir(), "kubeserve-json-bench-"));
  execFileSync(
    "npx",
    [
      ...["tsup", "bench/json-bench-main.ts", "--format", "esm", "--platform", "node"],
      ...["--target", "node20", "--out-dir", out, "--silent"],
    ],
    { cwd: APP, stdio: "inherit" },
  );
  const result = spawnSync(
    process.execPath,
    [path.join(out, "json-bench-main.js"), String(repeats)],
    {
      stdio: "inherit",
    },
  );
  return result.status === 0;
}

async function main(): Promise<void> {
  const isJsonPass = runJsonBenchBundled(isQuick ? 5 : 9);
  if (args.includes("--json-only")) return;
  if (!existsSync(path.join(FIXTURES, "peer_server.py"))) {
    throw new Error(`fixtures not found at ${FIXTURES}; set BENCH_FIXTURES`);
  }
  ensureTools();
  console.log("\nbuilding the server (tsup) …");
  execFileSync("npx", ["tsup", "--silent"], { cwd: APP, stdio: "inherit" });
  const tmp = mkdtempSync(path.join(tmpdir(), "kubeserve-bench-"));
  const cases: TCase[] = [
    {
      id: "iris b1",
      model: "iris-logreg",
      rows: 1,
      path: "/predict",
      body: jsonBody(FIXTURES, "bench_body_iris_b1.json"),
      peerBody: jsonBody(FIXTURES, "bench_body_iris_b1.json"),
      connections: [16, 64],
    },
    {
      id: "mlp-64 b32",
      model: "mlp-64",
      rows: 32,
      path: "/predict",
      body: jsonBody(FIXTURES, "bench_body_mlp64_b32.json"),
      peerBody: jsonBody(FIXTURES, "bench_body_mlp64_b32.json"),
      connections: [16, 64],
    },
    {
      id: "mlp-wide b32 JSON",
      model: "mlp-wide",
      rows: 32,
      path: "/predict",
      body: jsonBody(FIXTURES, "bench_body_mlpwide_b32.json"),
      peerBody: jsonBody(FIXTURES, "bench_body_mlpwide_b32.json"),
      connections: [16, 64],
    },
    {
      id: "mlp-wide b32 ours V2 binary",
      model: "mlp-wide",
      rows: 32,
      path: "/v2/models/mlp-wide/infer",
      body: makeBinaryBody(tmp),
      peerBody: jsonBody(FIXTURES, "bench_body_mlpwide_b32.json"),
      peerFrom: "mlp-wide b32 JSON",
      connections: [16, 64],
    },
    {
      id: "mlp-wide b1",
      model: "mlp-wide",
      rows: 1,
      path: "/predict",
      body: jsonBody(FIXTURES, "bench_body_mlpwide_b1.json"),
      peerBody: jsonBody(FIXTURES, "bench_body_mlpwide_b1.json"),
      connections: [64],
    },
  ];
  const configsFor = (c: TCase): TConfig[] => {
    const peer = c.peerFrom ? [] : [PEER];
    if (c.id === "mlp-wide b1") return [...peer, OURS(1), OURS(1, "off"), OURS(2), OURS(2, "off")];
    if (c.model === "mlp-wide") return [...peer, OURS(1), OURS(2), OURS_BATCH64];
    return [...peer, OURS(1), OURS(2)];
  };

  const results = new Map<string, TRun[]>();
  const key = (caseId: string, label: string, conns: number) => `${caseId}|${label}|${conns}`;
  console.log(
    `\nrounds ${ROUNDS}, ${DURATION}s per run after ${WARMUP}s warm-up, wrk -t2; load average at start ${loadavg()[0]!.toFixed(2)}`,
  );
  for (let round = 1; round <= ROUNDS; round++) {
    for (const c of cases) {
      for (const cfg of configsFor(c)) {
        const server =
          cfg.kind === "peer"
            ? await startPeer(FIXTURES, c.model)
            : await startOurs(FIXTURES, c.model, cfg);
        try {
          const url = `http://127.0.0.1:${server.port}${cfg.kind === "peer" ? "/predict" : c.path}`;
          const body = cfg.kind === "peer" ? c.peerBody : c.body;
          for (const conns of c.connections) {
            runWrk(url, body, conns, WARMUP, cfg.authToken);
            const run = runWrk(url, body, conns, DURATION, cfg.authToken);
            const k = key(c.id, cfg.label, conns);
            results.set(k, [...(results.get(k) ?? []), run]);
            console.log(
              `round ${round}  ${c.id.padEnd(28)} ${cfg.label.padEnd(22)} c${String(conns).padEnd(3)} ${fmt(run.rps).padStart(7)} req/s  p50 ${fmt(run.p50, 2)} ms  p99 ${fmt(run.p99, 2)} ms${run.invalidReason ? `  INVALID: ${run.invalidReason}` : ""}  load ${loadavg()[0]!.toFixed(2)}`,
            );
          }
        } finally {
          await stopServer(server.child);
        }
      }
    }
  }

  console.log("\nmeasuring the cost of --auth-token on iris b1 (w1, 16 connections) …");
  const auth = await measureAuthCost(isQuick ? 4 : 8, isQuick ? 2 : 4);

  console.log("\nmeasuring raw in-process session.run (intraOpNumThreads=1) …");
  const runUs = new Map<string, number>();
  for (const c of cases) runUs.set(c.id, await measureSessionRun(c.model, c.rows));

  const get = (c: TCase, cfg: TConfig, conns: number): TSummary =>
    cfg.kind === "peer"
      ? summarize(results.get(key(c.peerFrom ?? c.id, cfg.label, conns)) ?? [], "best")
      : summarize(results.get(key(c.id, cfg.label, conns)) ?? [], "median");

  console.log(
    `\nours: median valid round by req/s; peer: its best valid round (${ROUNDS} rounds, ${DURATION}s each); a round with any non-2xx answer or socket error is INVALID and left out; load average now ${loadavg()[0]!.toFixed(2)}`,
  );
  console.log(
    "| case | protocol (ours / peer) | server | conns | req/s | p50 ms | p99 ms | × peer req/s | valid rounds | session.run µs | server µs/req | µs/req ÷ run |",
  );
  console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const c of cases) {
    const protocol = c.body.headerLength !== undefined ? "V2 binary / JSON" : "JSON / JSON";
    for (const conns of c.connections) {
      const peer = get(c, PEER, conns).run;
      for (const cfg of [PEER, ...configsFor(c).filter((x) => x.kind === "ours")]) {
        const summary = get(c, cfg, conns);
        const run = summary.run;
        const raw = runUs.get(c.id)!;
        const perRequest = run ? 1e6 / run.rps : undefined;
        const validity =
          summary.invalid.length === 0
            ? `${summary.valid}`
            : `${summary.valid} (INVALID: ${summary.invalid.join("; ")})`;
        console.log(
          `| ${c.id} | ${protocol} | ${cfg.label}${cfg.kind === "peer" && c.peerFrom ? ` (runs of ${c.peerFrom})` : ""} | ${conns} | ${fmt(run?.rps)} | ${fmt(run?.p50, 2)} | ${fmt(run?.p99, 2)} | ${cfg.kind === "peer" ? "1.00" : fmt(run && peer ? run.rps / peer.rps : undefined, 2)} | ${validity} | ${fmt(raw, 1)} | ${fmt(perRequest, 1)} | ${fmt(perRequest === undefined ? undefined : perRequest / raw, 2)} |`,
        );
      }
    }
  }

  console.log("\ntargets (16 connections unless noted; ratios of runs measured in this sitting):");
  const verdicts: string[] = [];
  const judge = (line: string, ratio: number | undefined, isMet: (r: number) => boolean) => {
    const verdict =
      ratio === undefined ? "INVALID (no valid round)" : isMet(ratio) ? "PASS" : "FAIL";
    verdicts.push(verdict);
    console.log(`${line}: ${fmt(ratio, 2)}× → ${verdict}`);
  };
  const ratioOf = (a: TSummary, b: TSummary) =>
    a.run && b.run ? a.run.rps / b.run.rps : undefined;
  const [iris, mlp, wideJson, wideBinary, wideB1] = cases as [TCase, TCase, TCase, TCase, TCase];
  for (const workers of [1, 2]) {
    const irisOurs = get(iris, OURS(workers), 16);
    const irisPeer = get(iris, PEER, 16);
    const isFaster = (r: number) =>
      r >= 5 && (irisOurs.run?.p99 ?? Infinity) < (irisPeer.run?.p50 ?? 0);
    judge(
      `w${workers} iris b1, JSON vs JSON (target ≥ 5× and our p99 ${fmt(irisOurs.run?.p99, 2)} ms < peer p50 ${fmt(irisPeer.run?.p50, 2)} ms)`,
      ratioOf(irisOurs, irisPeer),
      isFaster,
    );
    judge(
      `w${workers} mlp-64 b32, JSON vs JSON (target ≥ 8×)`,
      ratioOf(get(mlp, OURS(workers), 16), get(mlp, PEER, 16)),
      (r) => r >= 8,
    );
    judge(
      `w${workers} mlp-wide b32, JSON vs JSON — like for like (target ≥ 10×)`,
      ratioOf(get(wideJson, OURS(workers), 16), get(wideJson, PEER, 16)),
      (r) => r >= 10,
    );
    judge(
      `w${workers} mlp-wide b32, ours V2 binary vs peer JSON — not like for like (target ≥ 10×)`,
      ratioOf(get(wideBinary, OURS(workers), 16), get(wideBinary, PEER, 16)),
      (r) => r >= 10,
    );
    judge(
      `w${workers} mlp-wide b1, 64 conns, batching on vs off (target ≥ 2×)`,
      ratioOf(get(wideB1, OURS(workers), 64), get(wideB1, OURS(workers, "off"), 64)),
      (r) => r >= 2,
    );
  }
  judge(
    "w2 --max-batch-size 64 (not the default) mlp-wide b32, JSON vs JSON",
    ratioOf(get(wideJson, OURS_BATCH64, 16), get(wideJson, PEER, 16)),
    (r) => r >= 10,
  );
  judge(
    `w1 iris b1 with --auth-token vs without, median of ${auth.valid} side-by-side pairs${auth.invalid.length ? ` (INVALID pairs: ${auth.invalid.join("; ")})` : ""} (target ≥ 0.95×: the check is one header compare)`,
    auth.ratio,
    (r) => r >= 0.95,
  );
  console.log(`JSON scanner on hostile bodies → ${isJsonPass ? "PASS" : "FAIL"} (table above)`);
  const invalid = verdicts.filter((v) => v.startsWith("INVALID")).length;
  if (invalid > 0) console.log(`${invalid} target(s) could not be judged: every round was invalid`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
