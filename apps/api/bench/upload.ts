// `pnpm bench upload`: a generated file streamed through the API into each driver (one-shot PUT and tus in
// parts), with the API's RSS before and at peak, against floors measured in the same run: cp, sha256sum, a
// bare node:http server that streams the body to disk while hashing it, and for S3 a direct minio putObject.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, readFileSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
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

const { values } = parseArgs({ options: { "size-mb": { type: "string", default: "1024" } } });
const size = Number(values["size-mb"]) * 1024 * 1024;
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

async function bareServer(): Promise<number> {
  const target = path.join(work, "bare.out");
  const server = createServer((req, res) => {
    const hash = createHash("sha256");
    req.on("data", (chunk: Buffer) => hash.update(chunk));
    void pipeline(req, createWriteStream(target)).then(() => res.end(hash.digest("hex")));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const ms = await timed(() => putFile(`http://127.0.0.1:${port}/`));
  server.close();
  await rm(target, { force: true });
  return ms;
}

function rssOf(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(match?.[1] ?? 0) * 1024;
}

type TApi = { url: string; child: ChildProcess; token: string; versionId: () => Promise<string> };

async function startApi(env: Record<string, string>): Promise<TApi> {
  const port = await freePort();
  const child = spawn(process.execPath, ["--import", "tsx", "src/server.ts"], {
    cwd: path.resolve(import.meta.dirname, ".."),
    env: { ...process.env, ...env, API_PORT: String(port), LOG_LEVEL: "warn", NODE_ENV: "test" },
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
  let peak = before;
  const timer = setInterval(() => (peak = Math.max(peak, rssOf(pid))), 20);
  const ms = await timed(run);
  clearInterval(timer);
  return { ms, before, peak };
}

const rows: {
  what: string;
  ms: number;
  floor: number;
  floorName: string;
  rss?: { before: number; peak: number };
}[] = [];
const cpMs = await timed(() => execFileSync("cp", [source, path.join(work, "copy")]));
await rm(path.join(work, "copy"));
const shaMs = await timed(() => execFileSync("sha256sum", [source]));
const bareMs = await bareServer();

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
  const minioMs = await timed(() =>
    minio.putObject("bench-direct", "direct", createReadStream(source), size, {
      partSize: 16 * 1024 * 1024,
    } as never),
  );
  const drivers: [string, Record<string, string>, number, string][] = [
    ["fs", { STORAGE_FS_DIR: path.join(work, "store") }, bareMs, "bare server"],
    [
      "s3",
      {
        STORAGE_DRIVER: "s3",
        S3_ENDPOINT: s3.endpoint,
        S3_ACCESS_KEY: "S3RVER",
        S3_SECRET_KEY: "S3RVER",
        S3_BUCKET: "bench-api",
      },
      minioMs,
      "minio put",
    ],
  ];
  for (const [name, storage, floor, floorName] of drivers) {
    const api = await startApi({
      ...storage,
      DATABASE_URL: database.url ?? "",
      KUBESERVE_HOME: path.join(work, `home-${name}`),
      UPLOAD_MAX_BYTES: String(size + 1),
    });
    try {
      const oneShot = await api.versionId();
      const put = await measure(api, async () => {
        const status = await putFile(
          `${api.url}/api/v1/versions/${oneShot}/artifact?filename=model.joblib`,
          { authorization: `Bearer ${api.token}` },
        );
        if (status !== 200) throw new Error(`PUT answered ${status}`);
      });
      rows.push({ what: `${name}: one-shot PUT`, ms: put.ms, floor, floorName, rss: put });
      const resumable = await api.versionId();
      const tus = await measure(api, () =>
        uploadArtifact({ url: api.url, token: api.token }, resumable, createReadStream(source), {
          filename: "model.joblib",
          size,
          chunkSize: 64 * 1024 * 1024,
        }),
      );
      rows.push({ what: `${name}: tus, 64 MiB parts`, ms: tus.ms, floor, floorName, rss: tus });
    } finally {
      api.child.kill("SIGTERM");
    }
  }
  const mb = (bytes: number) => `${Math.round(bytes / 1048576)} MB`;
  console.log(`\nupload bench: ${mb(size)} generated file (${statSync(source).size} bytes)\n`);
  console.log(
    `floors: cp ${mbps(cpMs).toFixed(0)} MB/s, sha256sum ${mbps(shaMs).toFixed(0)} MB/s, bare node:http + sha256 to disk ${mbps(bareMs).toFixed(0)} MB/s, direct minio put to s3rver ${mbps(minioMs).toFixed(0)} MB/s\n`,
  );
  console.log(
    "| path | MB/s | floor | ratio (target ≥ 0.80) | API RSS before → peak (growth, target < 100 MB) |",
  );
  console.log("| --- | --- | --- | --- | --- |");
  for (const row of rows) {
    const rss = row.rss
      ? `${mb(row.rss.before)} → ${mb(row.rss.peak)} (+${mb(row.rss.peak - row.rss.before)})`
      : "";
    console.log(
      `| ${row.what} | ${mbps(row.ms).toFixed(0)} | ${row.floorName} ${mbps(row.floor).toFixed(0)} | ${(row.floor / row.ms).toFixed(2)} | ${rss} |`,
    );
  }
} finally {
  await s3.stop();
  await database.destroy();
  await rm(work, { recursive: true, force: true });
}
process.exit(0);
