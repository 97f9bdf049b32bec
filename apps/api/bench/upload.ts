// `pnpm bench upload`: a generated file streamed through the API into each driver (one-shot PUT and tus in
// parts), with the API's RSS before and at peak, against floors measured in the same run: cp, sha256sum, a
// bare node:http server that streams the body to disk while hashing it, and for S3 a direct minio putObject.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createReadStream, createWriteStream, readFileSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { parseArgs } from "node:util";
import { createTestPostgres } from "@kubeserve/db/testing";
import { generatedStream, startS3rver } from "@kubeserve/storage/testing";
import { freePort } from "@kubeserve/testing";
import { Client } from "minio";
import { createApiClient } from "../src/client";
import { uploadArtifact } from "../src/upload-client";

const { values } = parseArgs({
  options: {
    "size-mb": { type: "string", default: "1024" },
    drivers: { type: "string", default: "fs,s3" },
    rounds: { type: "string", default: "1" },
    // e.g. `--cpu-prof /tmp/prof`: the API runs with node --cpu-prof and writes its profiles there.
    "cpu-prof": { type: "string" },
  },
});
const size = Number(values["size-mb"]) * 1024 * 1024;
const rounds = Math.max(1, Number(values.rounds));
const onlyDrivers = new Set(values.drivers.split(","));
const work = await mkdtemp(path.join(tmpdir(), "ks-bench-upload-"));
const source = path.join(work, "model.joblib");
await pipeline(generatedStream(size, 3), createWriteStream(source));
const mbps = (ms: number) => size / 1048576 / (ms / 1000);

async function timed(run: () => Promise<unknown> | unknown): Promise<number> {
  const start = performance.now();
  await run();
  return performance.now() - start;
}

function putFile(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: "PUT",
      headers: { "content-length": String(size), ...headers },
    });
    req.on("response", (res) => {
      if ((res.statusCode ?? 0) >= 300) res.on("data", (d: Buffer) => console.error(d.toString()));
      else res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    createReadStream(source).pipe(req);
  });
}

/** user + system CPU time of `pid` so far, in ms (/proc/<pid>/stat fields 14 and 15, in clock ticks). */
function cpuMsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

type TTimed = { ms: number; cpuMs: number };

async function startBareServer(): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "bench/upload-floor.ts", path.join(work, "bare.out")],
    { cwd: path.resolve(import.meta.dirname, ".."), stdio: ["ignore", "pipe", "inherit"] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout?.once("data", (data: Buffer) => resolve(Number(data.toString().trim())));
    child.once("exit", () => reject(new Error("the bare floor server did not start")));
  });
  return { child, port };
}

async function bareServer(): Promise<TTimed> {
  const bare = await startBareServer();
  try {
    const pid = bare.child.pid as number;
    const cpuBefore = cpuMsOf(pid);
    const ms = await timed(() => putFile(`http://127.0.0.1:${bare.port}/`));
    return { ms, cpuMs: cpuMsOf(pid) - cpuBefore };
  } finally {
    bare.child.kill("SIGTERM");
    await rm(path.join(work, "bare.out"), { force: true });
  }
}

function rssOf(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(match?.[1] ?? 0) * 1024;
}

type TApi = { url: string; child: ChildProcess; token: string; versionId: () => Promise<string> };

async function startApi(env: Record<string, string>): Promise<TApi> {
  const port = await freePort();
  // Its own metrics port too: the default one may be taken by another API on this machine.
  const metricsPort = await freePort();
  const profile = values["cpu-prof"] ? ["--cpu-prof", "--cpu-prof-dir", values["cpu-prof"]] : [];
  const child = spawn(process.execPath, [...profile, "--import", "tsx", "src/server.ts"], {
    cwd: path.resolve(import.meta.dirname, ".."),
    env: {
      ...process.env,
      ...env,
      API_PORT: String(port),
      METRICS_PORT: String(metricsPort),
      LOG_LEVEL: "warn",
      NODE_ENV: "test",
    },
    stdio: ["ignore", "inherit", "inherit"],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null || i > 300) throw new Error("the API did not start");
    if (
      await fetch(`${url}/readyz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const api = createApiClient({ url });
  const session = await api.auth.register.mutate({
    email: `bench-${port}@example.com`,
    password: "correct horse battery",
  });
  const authed = createApiClient({ url, token: session.accessToken });
  let n = 0;
  const versionId = async () => {
    const model = await authed.model.create.mutate({ name: `bench-${++n}` });
    return (
      await authed.version.create.mutate({ modelId: model.id, tag: "v1", framework: "sklearn" })
    ).id;
  };
  return { url, child, token: session.accessToken, versionId };
}

async function measure(api: TApi, run: () => Promise<unknown>) {
  const pid = api.child.pid as number;
  const before = rssOf(pid);
  const cpuBefore = cpuMsOf(pid);
  let peak = before;
  const timer = setInterval(() => (peak = Math.max(peak, rssOf(pid))), 20);
  const ms = await timed(run);
  clearInterval(timer);
  return { ms, cpuMs: cpuMsOf(pid) - cpuBefore, before, peak };
}

type TSample = {
  ms: number;
  cpuMs: number;
  floor: TTimed;
  rss: { before: number; peak: number };
};
const rows = new Map<string, { floorName: string; samples: TSample[] }>();
const addSample = (what: string, floorName: string, sample: TSample) => {
  const row = rows.get(what) ?? { floorName, samples: [] };
  row.samples.push(sample);
  rows.set(what, row);
};
const cpMs = await timed(() => execFileSync("cp", [source, path.join(work, "copy")]));
await rm(path.join(work, "copy"));
const shaMs = await timed(() => execFileSync("sha256sum", [source]));
const floorMs: Record<string, number[]> = { bare: [], minio: [] };
const cpuNaN = (run: () => Promise<number>) => async (): Promise<TTimed> => ({
  ms: await run(),
  cpuMs: NaN,
});

const database = await createTestPostgres();
const s3 = await startS3rver();
try {
  const minio = new Client({
    endPoint: "127.0.0.1",
    port: s3.port,
    useSSL: false,
    accessKey: "S3RVER",
    secretKey: "S3RVER",
    pathStyle: true,
    region: "us-east-1",
  });
  await minio.makeBucket("bench-direct", "us-east-1");
  let directPuts = 0;
  const minioPut = () =>
    timed(() =>
      minio.putObject("bench-direct", `direct-${++directPuts}`, createReadStream(source), size),
    );
  const drivers: [string, Record<string, string>, () => Promise<TTimed>, string, string][] = [
    ["fs", { STORAGE_FS_DIR: path.join(work, "store") }, bareServer, "bare", "bare server"],
    [
      "s3",
      {
        STORAGE_DRIVER: "s3",
        S3_ENDPOINT: s3.endpoint,
        S3_ACCESS_KEY: "S3RVER",
        S3_SECRET_KEY: "S3RVER",
        S3_BUCKET: "bench-api",
      },
      cpuNaN(minioPut),
      "minio",
      "minio put",
    ],
  ];
  for (const [name, storage, runFloor, floorKey, floorName] of drivers) {
    if (!onlyDrivers.has(name)) continue;
    const api = await startApi({
      ...storage,
      DATABASE_URL: database.url ?? "",
      KUBESERVE_HOME: path.join(work, `home-${name}`),
      UPLOAD_MAX_BYTES: String(size + 1),
    });
    try {
      // The floor is run again right before each measured upload: on a shared machine only
      // measurements seconds apart are comparable.
      for (let round = 0; round < rounds; round++) {
        const putFloor = await runFloor();
        floorMs[floorKey]?.push(putFloor.ms);
        const oneShot = await api.versionId();
        const put = await measure(api, async () => {
          const status = await putFile(
            `${api.url}/api/v1/versions/${oneShot}/artifact?filename=model.joblib`,
            { authorization: `Bearer ${api.token}` },
          );
          if (status !== 200) throw new Error(`PUT answered ${status}`);
        });
        addSample(`${name}: one-shot PUT`, floorName, { ...put, floor: putFloor, rss: put });
        const tusFloor = await runFloor();
        floorMs[floorKey]?.push(tusFloor.ms);
        const resumable = await api.versionId();
        const tus = await measure(api, () =>
          uploadArtifact({ url: api.url, token: api.token }, resumable, createReadStream(source), {
            filename: "model.joblib",
            size,
            chunkSize: 64 * 1024 * 1024,
          }),
        );
        addSample(`${name}: tus, 64 MiB parts`, floorName, { ...tus, floor: tusFloor, rss: tus });
      }
    } finally {
      const exited = new Promise((resolve) => api.child.once("exit", resolve));
      api.child.kill("SIGTERM");
      await exited;
    }
  }
  const mb = (bytes: number) => `${Math.round(bytes / 1048576)} MB`;
  const med = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2
      ? (sorted[mid] ?? NaN)
      : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
  };
  const speeds = (list: number[] | undefined) =>
    list?.length ? list.map((ms) => mbps(ms).toFixed(0)).join("/") : "–";
  console.log(
    `\nupload bench: ${mb(size)} generated file (${statSync(source).size} bytes), ${rounds} round(s)\n`,
  );
  console.log(
    `floors (MB/s): cp ${mbps(cpMs).toFixed(0)}, sha256sum ${mbps(shaMs).toFixed(0)}, bare node:http + sha256 to disk ${speeds(floorMs.bare)}, direct minio put to s3rver ${speeds(floorMs.minio)}\n`,
  );
  console.log(
    "| path | MB/s | floor MB/s (run just before) | ratio, median of rounds (target ≥ 0.80) | server CPU ms/GiB: API vs floor | API RSS before → peak (growth, target < 100 MB) |",
  );
  console.log("| --- | --- | --- | --- | --- | --- |");
  const perGiB = (cpuMs: number) => ((cpuMs * 1073741824) / size).toFixed(0);
  for (const [what, row] of rows) {
    const growth = Math.max(...row.samples.map((s) => s.rss.peak - s.rss.before));
    const first = row.samples[0]?.rss;
    const peak = Math.max(...row.samples.map((s) => s.rss.peak));
    console.log(
      `| ${what} | ${speeds(row.samples.map((s) => s.ms))} | ${row.floorName} ${speeds(row.samples.map((s) => s.floor.ms))} | ${med(row.samples.map((s) => s.floor.ms / s.ms)).toFixed(2)} | ${perGiB(med(row.samples.map((s) => s.cpuMs)))} vs ${perGiB(med(row.samples.map((s) => s.floor.cpuMs)))} | ${mb(first?.before ?? 0)} → ${mb(peak)} (+${mb(growth)} max) |`,
    );
  }
} finally {
  await s3.stop();
  await database.destroy();
  await rm(work, { recursive: true, force: true });
}
process.exit(0);
