// `pnpm bench api`: 10,000 models for one user in PostgreSQL, listed in pages of 50 through the HTTP API by
// 32 concurrent clients. The built server runs in its own process, as in production. For comparison the
// same run measures a floor: a bare node:http + pg server answering the same keyset query with no auth,
// no tRPC and no ORM. Options: --models N --connections N --duration SECONDS
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createServer } from "node:net";
import path from "node:path";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { createTestPostgres } from "@kubeserve/db/testing";
import { createApiClient } from "../src/client";
import { hashPassword } from "../src/lib/passwords";

const { values } = parseArgs({
  options: {
    models: { type: "string", default: "10000" },
    connections: { type: "string", default: "32" },
    duration: { type: "string", default: "15" },
  },
});
const modelCount = Number(values.models);
const connections = Number(values.connections);
const duration = Number(values.duration);
const appDir = path.resolve(import.meta.dirname, "..");

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitFor(url: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 150; i++) {
    if (child.exitCode !== null) throw new Error(`${url} exited with ${child.exitCode}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // Still starting.
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${url} did not become ready`);
}

type TResult = {
  name: string;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  errors: number;
};

async function load(
  name: string,
  baseUrl: string,
  paths: string[],
  headers: Record<string, string>,
) {
  let next = 0;
  // A short warm-up so JIT and pools settle before measuring.
  const run = (seconds: number) =>
    autocannon({
      url: baseUrl,
      connections,
      duration: seconds,
      headers,
      requests: [
        {
          setupRequest: (request) => ({ ...request, path: paths[next++ % paths.length] as string }),
        },
      ],
    });
  await run(3);
  const result = await run(duration);
  const row: TResult = {
    name,
    rps: result.requests.average,
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    max: result.latency.max,
    errors: result.errors + result.non2xx,
  };
  console.log(
    `  ${name}: ${row.rps.toFixed(0)} req/s, p50 ${row.p50} ms, p99 ${row.p99} ms, errors ${row.errors}`,
  );
  return row;
}

function trpcListPath(input: Record<string, unknown>): string {
  return `/trpc/model.list?input=${encodeURIComponent(JSON.stringify(input))}`;
}

async function main(): Promise<void> {
  console.log(
    `KubeServe API benchmark: ${modelCount} models, pages of 50, ${connections} connections, ${duration} s`,
  );
  console.log("building apps/api …");
  const build = spawnSync("pnpm", ["exec", "tsup"], { cwd: appDir, stdio: "ignore" });
  if (build.status !== 0) throw new Error("build failed");

  const database = await createTestPostgres();
  const children: ChildProcess[] = [];
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

    const apiPort = await freePort();
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    const api = spawn(process.execPath, [path.join(appDir, "dist/server.js")], {
      env: {
        PATH: process.env.PATH ?? "",
        NODE_ENV: "production",
        DATABASE_URL: database.url as string,
        API_PORT: String(apiPort),
        AUTH_SECRET: "bench-secret-bench-secret-bench-secret-0123",
        LOG_LEVEL: "warn",
      },
      stdio: ["ignore", "inherit", "inherit"],
    });
    children.push(api);
    await waitFor(`${apiUrl}/readyz`, api);

    const floorPort = await freePort();
    const floor = spawn(
      process.execPath,
      ["--import", "tsx", path.join(appDir, "bench/floor-server.ts")],
      {
        env: {
          PATH: process.env.PATH ?? "",
          DATABASE_URL: database.url as string,
          PORT: String(floorPort),
        },
        stdio: ["ignore", "inherit", "inherit"],
      },
    );
    children.push(floor);
    await waitFor(`http://127.0.0.1:${floorPort}/healthz`, floor);

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
    const floorPaths = cursors.map(
      (cursor) => `/models?limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
    );
    const searchPaths = Array.from({ length: 10 }, (_, i) =>
      trpcListPath({ limit: 50, sortBy: "name", search: `model-0${i}` }),
    );

    console.log("measuring …");
    const results = [
      await load(
        "floor: node:http + pg, same query, no auth",
        `http://127.0.0.1:${floorPort}`,
        floorPaths,
        {},
      ),
      await load("API, access token (JWT), by updatedAt", apiUrl, pagePaths, {
        authorization: `Bearer ${session.accessToken}`,
      }),
      await load("API, API key, by updatedAt", apiUrl, pagePaths, {
        authorization: `Bearer ${secret}`,
      }),
      await load("API, access token, name search, by name", apiUrl, searchPaths, {
        authorization: `Bearer ${session.accessToken}`,
      }),
    ];

    const floorRps = results[0]?.rps ?? 1;
    console.log("\n| case | req/s | p50 ms | p90 ms | p99 ms | max ms | errors | req/s vs floor |");
    console.log("| --- | --- | --- | --- | --- | --- | --- | --- |");
    for (const r of results) {
      console.log(
        `| ${r.name} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p90} | ${r.p99} | ${r.max} | ${r.errors} | ${(r.rps / floorRps).toFixed(2)}× |`,
      );
    }
    const target = results.slice(1, 3);
    const isPass = target.every((r) => r.p99 < 50 && r.errors === 0);
    console.log(
      `\ntarget p99 < 50 ms for pages of 50 with ${connections} clients: ${isPass ? "PASS" : "FAIL"}`,
    );
    if (!isPass) process.exitCode = 1;
  } finally {
    for (const child of children) child.kill("SIGTERM");
    await new Promise((resolve) => setTimeout(resolve, 500));
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
