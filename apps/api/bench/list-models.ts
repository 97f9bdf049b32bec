// `pnpm bench api`: 10,000 models for one user in PostgreSQL, listed in pages of 50 through the HTTP API by
// 32 concurrent clients. The built server runs in its own process, as in production. The same run measures
// a floor (bench/floor-server.ts: the same authentication and list calls, so the same prepared statements,
// behind bare node:http with no Fastify, tRPC or validation), alternating with the API round by round, and
// judges the API as ratios to it. A run with any non-2xx answer, socket error or error logged by either
// server (during the load or its drain at shutdown) is invalid.
// Options: --models N --connections N --duration SECONDS --rounds N
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { createTestPostgres } from "@kubeserve/db/testing";
import { freePort, waitFor } from "@kubeserve/testing";
import { createApiClient } from "../src/client";
import { hashPassword } from "../src/lib/passwords";

const { values } = parseArgs({
  options: {
    models: { type: "string", default: "10000" },
    connections: { type: "string", default: "32" },
    duration: { type: "string", default: "10" },
    rounds: { type: "string", default: "3" },
  },
});
const modelCount = Number(values.models);
const connections = Number(values.connections);
const duration = Number(values.duration);
const rounds = Number(values.rounds);
const appDir = path.resolve(import.meta.dirname, "..");

/** Waits until `url` answers 2xx, failing at once if the server process exits first. */
function waitForServer(url: string, child: ChildProcess): Promise<true> {
  return waitFor(async () => ((await fetch(url)).ok ? true : undefined), {
    what: url,
    timeoutMs: 30_000,
    intervalMs: 200,
    abortIf: () => (child.exitCode === null ? undefined : `exited with ${child.exitCode}`),
  });
}

type TResult = {
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  requests: number;
  /** Non-2xx answers and socket errors (timeouts included): any of them makes the run invalid. */
  bad: number;
  /** The server process's CPU time per answered request: steadier than req/s on a shared machine. */
  cpuUsPerRequest: number;
};

type TCase = {
  name: string;
  baseUrl: string;
  paths: string[];
  headers: Record<string, string>;
  /** The server process, whose CPU time is read from /proc around each run. */
  pid: number;
  /** The floor case this one is judged against, measured in the same rounds. */
  floor?: TCase;
  results: TResult[];
};

/** User + system CPU time of a process in milliseconds (Linux /proc; 0 elsewhere). */
function readCpuMs(pid: number): number {
  try {
    // Fields after the command name: utime and stime are the 12th and 13th, in clock ticks (100 Hz).
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

async function measure(c: TCase, seconds: number, waitForQuiet: () => Promise<void>) {
  let next = 0;
  const cpuBefore = readCpuMs(c.pid);
  const result = await autocannon({
    url: c.baseUrl,
    connections,
    duration: seconds,
    headers: c.headers,
    requests: [
      {
        setupRequest: (request) => ({
          ...request,
          path: c.paths[next++ % c.paths.length] as string,
        }),
      },
    ],
  });
  // autocannon drops its sockets with requests still in flight, some still queued for a pool connection
  // where PostgreSQL cannot see them: once the load is gone none takes longer than the slowest answer
  // under load, so wait twice that, then until no statement runs.
  await new Promise((resolve) =>
    setTimeout(resolve, Math.min(2 * result.latency.max + 250, 15_000)),
  );
  await waitForQuiet();
  const cpuMs = readCpuMs(c.pid) - cpuBefore;
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    max: result.latency.max,
    requests: result.requests.total,
    bad: result.non2xx + result.errors,
    cpuUsPerRequest: (cpuMs * 1000) / Math.max(result.requests.total, 1),
  } satisfies TResult;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function summarise(results: TResult[]): TResult {
  const pick = (key: keyof TResult) => median(results.map((r) => r[key]));
  return {
    rps: pick("rps"),
    p50: pick("p50"),
    p90: pick("p90"),
    p99: pick("p99"),
    max: Math.max(...results.map((r) => r.max)),
    requests: results.reduce((sum, r) => sum + r.requests, 0),
    bad: results.reduce((sum, r) => sum + r.bad, 0),
    cpuUsPerRequest: pick("cpuUsPerRequest"),
  };
}

type TLoggedProcess = { child: ChildProcess; errors: string[] };

/** Starts a server process whose error-level log lines (pino level ≥ 50, or anything on stderr) are kept. */
function startServer(args: string[], env: Record<string, string>): TLoggedProcess {
  const child = spawn(process.execPath, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  const errors: string[] = [];
  const collect = (isStderr: boolean) => (chunk: Buffer) => {
    for (const line of chunk.toString().split("\n")) {
      if (!line.trim()) continue;
      const level = /"level":(\d+)/.exec(line)?.[1];
      if (isStderr || (level !== undefined && Number(level) >= 50)) errors.push(line);
    }
  };
  child.stdout?.on("data", collect(false));
  child.stderr?.on("data", collect(true));
  return { child, errors };
}

async function stopServer({ child }: TLoggedProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
  const code = await exited;
  clearTimeout(timer);
  return code;
}

function trpcListPath(input: Record<string, unknown>): string {
  return `/trpc/model.list?input=${encodeURIComponent(JSON.stringify(input))}`;
}

// Targets, as ratios to the floor measured in the same run (the machines are shared and noisy).
const minRpsRatio = 0.6;
const maxP99Ratio = 1.5;

async function main(): Promise<void> {
  console.log(
    `KubeServe API benchmark: ${modelCount} models, pages of 50, ${connections} connections, ${duration} s`,
  );
  console.log("building apps/api …");
  const pnpm = process.env.npm_execpath?.includes("pnpm")
    ? [process.execPath, process.env.npm_execpath]
    : ["pnpm"];
  const build = spawnSync(pnpm[0] as string, [...pnpm.slice(1), "exec", "tsup"], {
    cwd: appDir,
    stdio: "ignore",
  });
  if (build.status !== 0) throw new Error("build failed");

  const database = await createTestPostgres();
  const servers: TLoggedProcess[] = [];
  let isInvalid: boolean;
  try {
    const db = database.prisma;
    const email = "bench@example.com";
    const password = "bench password";
    const user = await db.user.create({
      data: { email, passwordHash: await hashPassword(password) },
      select: { id: true },
    });
    const start = Date.now() - modelCount * 1000;
    for (let i = 0; i < modelCount; i += 1000) {
      await db.model.createMany({
        data: Array.from({ length: Math.min(1000, modelCount - i) }, (_, j) => ({
          ownerId: user.id,
          name: `model-${String(i + j).padStart(5, "0")}`,
          description: `Benchmark model number ${i + j}`,
          tags: ["bench", `group-${(i + j) % 10}`],
          updatedAt: new Date(start + (i + j) * 1000),
        })),
      });
    }
    await db.$executeRawUnsafe("ANALYZE");
    console.log(`inserted ${modelCount} models`);

    // The API and the floor read one environment, so they get the same database config and pool size.
    const serverEnv = {
      PATH: process.env.PATH ?? "",
      NODE_ENV: "production",
      DATABASE_URL: database.url as string,
      AUTH_SECRET: "bench-secret-bench-secret-bench-secret-0123",
      LOG_LEVEL: "warn",
    };
    const apiPort = await freePort();
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    const api = startServer([path.join(appDir, "dist/server.js")], {
      ...serverEnv,
      API_PORT: String(apiPort),
    });
    servers.push(api);
    await waitForServer(`${apiUrl}/readyz`, api.child);

    const floorPort = await freePort();
    const floorUrl = `http://127.0.0.1:${floorPort}`;
    const floor = startServer(["--import", "tsx", path.join(appDir, "bench/floor-server.ts")], {
      ...serverEnv,
      PORT: String(floorPort),
    });
    servers.push(floor);
    await waitForServer(`${floorUrl}/healthz`, floor.child);

    const session = await createApiClient({ url: apiUrl }).auth.login.mutate({ email, password });
    const client = createApiClient({ url: apiUrl, token: session.accessToken });
    const { secret } = await client.apiKey.create.mutate({ name: "bench" });

    // Walk every page once to collect real cursors; the load then requests all pages round-robin.
    const cursors: (string | undefined)[] = [undefined];
    for (;;) {
      const page = await client.model.list.query({ limit: 50, cursor: cursors.at(-1) });
      if (!page.nextCursor) break;
      cursors.push(page.nextCursor);
    }
    console.log(`walked ${cursors.length} pages of 50`);
    const pagePaths = cursors.map((cursor) =>
      trpcListPath({ limit: 50, ...(cursor ? { cursor } : {}) }),
    );
    const searchPaths = Array.from({ length: 10 }, (_, i) =>
      trpcListPath({ limit: 50, sortBy: "name", search: `model-0${i}` }),
    );

    // Quiet = no statement of the bench database running, three polls in a row.
    const waitForQuiet = async () => {
      const deadline = Date.now() + 10_000;
      for (let quiet = 0; quiet < 3;) {
        if (Date.now() > deadline) throw new Error("the servers did not go quiet within 10 s");
        const [row] = await database.sql<{ n: number }>(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid()",
        );
        quiet = row?.n === 0 ? quiet + 1 : 0;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    const jwt = { authorization: `Bearer ${session.accessToken}` };
    const apiKey = { authorization: `Bearer ${secret}` };

    // Each API case is judged against a floor case sending the same requests with the same credential.
    const cases: TCase[] = [];
    for (const [name, paths, headers] of [
      ["access token, by updatedAt", pagePaths, jwt],
      ["API key, by updatedAt", pagePaths, apiKey],
      ["access token, name search", searchPaths, jwt],
    ] as const) {
      const floorCase: TCase = {
        name: `floor, ${name}`,
        baseUrl: floorUrl,
        paths,
        headers,
        pid: floor.child.pid ?? 0,
        results: [],
      };
      cases.push(floorCase, {
        name: `API, ${name}`,
        baseUrl: apiUrl,
        paths,
        headers,
        pid: api.child.pid ?? 0,
        floor: floorCase,
        results: [],
      });
    }
    // A short warm-up of each case so JIT and pools settle; then rounds that alternate floor and API,
    // so that load from elsewhere on the machine falls on both alike.
    for (const c of cases) await measure(c, 3, waitForQuiet);
    for (let round = 1; round <= rounds; round++) {
      console.log(`round ${round} of ${rounds} …`);
      for (const c of cases) {
        const r = await measure(c, duration, waitForQuiet);
        c.results.push(r);
        console.log(
          `  ${c.name}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, ` +
            `${r.cpuUsPerRequest.toFixed(0)} µs CPU/req, bad answers ${r.bad}`,
        );
      }
    }

    // Each API round is divided by the floor round next to it; the median of those ratios is judged.
    const ratios = (c: TCase, key: "rps" | "p99" | "cpuUsPerRequest") =>
      median(c.results.map((r, i) => r[key] / Math.max(c.floor?.results[i]?.[key] ?? 1, 1)));
    const x = (value: number) => `${value.toFixed(2)}×`;
    console.log(
      `\nmedians of ${rounds} rounds of ${duration} s; ratios are medians of same-round ratios to the floor`,
    );
    console.log(
      "| case | req/s | req/s ÷ floor | p50 ms | p90 ms | p99 ms | p99 ÷ floor | CPU µs/req | CPU ÷ floor | max ms | requests | bad |",
    );
    console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for (const c of cases) {
      const r = summarise(c.results);
      const rps = c.floor ? x(ratios(c, "rps")) : "–";
      const p99 = c.floor ? x(ratios(c, "p99")) : "–";
      const cpu = c.floor ? x(ratios(c, "cpuUsPerRequest")) : "–";
      console.log(
        `| ${c.name} | ${r.rps.toFixed(0)} | ${rps} | ${r.p50} | ${r.p90} | ${r.p99} | ${p99} | ` +
          `${r.cpuUsPerRequest.toFixed(0)} | ${cpu} | ${r.max} | ${r.requests} | ${r.bad} |`,
      );
    }

    isInvalid = cases.some((c) => c.results.some((r) => r.bad > 0));
    console.log(
      `\ntargets against the floor of the same run: req/s ≥ ${minRpsRatio}× floor, p99 ≤ ${maxP99Ratio}× floor p99`,
    );
    let isPass = true;
    for (const c of cases) {
      if (!c.floor) continue;
      const [api, floorRow] = [summarise(c.results), summarise(c.floor.results)];
      const [rpsRatio, p99Ratio] = [ratios(c, "rps"), ratios(c, "p99")];
      const isCasePass = rpsRatio >= minRpsRatio && p99Ratio <= maxP99Ratio;
      isPass &&= isCasePass;
      console.log(
        `  ${c.name}: ${api.rps.toFixed(0)} vs ${floorRow.rps.toFixed(0)} req/s → ${x(rpsRatio)}, ` +
          `p99 ${api.p99} vs ${floorRow.p99} ms → ${x(p99Ratio)}: ${isCasePass ? "PASS" : "FAIL"}`,
      );
    }

    // Stopped before the database goes, so their drain is measured too: an error logged now invalidates.
    for (const server of servers.splice(0)) {
      const code = await stopServer(server);
      if (code !== 0) server.errors.push(`exited with code ${code}`);
    }
    for (const [name, server] of [
      ["API", api],
      ["floor", floor],
    ] as const) {
      if (server.errors.length === 0) continue;
      isInvalid = true;
      console.log(`\n${name} logged errors:\n  ${server.errors.slice(0, 10).join("\n  ")}`);
    }
    if (isInvalid) {
      console.log("\nINVALID run: non-2xx answers, socket errors or logged errors (see above)");
      process.exitCode = 1;
    } else {
      console.log(`\nresult: ${isPass ? "PASS" : "FAIL"}`);
      if (!isPass) process.exitCode = 1;
    }
  } finally {
    for (const server of servers) await stopServer(server);
    await database.destroy();
  }
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
