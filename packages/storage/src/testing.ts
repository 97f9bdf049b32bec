import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { TS3StorageConfig, TStorageConfig } from "./types";

// Test support for every package that stores artifacts: a real S3 protocol server (s3rver) in its
// own process, so an outage is a real killed process and its memory is not the caller's RSS.

const MAIN = fileURLToPath(new URL("./testing/s3rver-main.ts", import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

export type TTestS3 = {
  endpoint: string;
  port: number;
  /** s3rver's data folder (buckets, objects, multipart parts) */
  directory: string;
  /** storage config for `bucket` (default "kubeserve-test"), credentials S3RVER/S3RVER */
  storageConfig(bucket?: string, extra?: Partial<TS3StorageConfig>): TS3StorageConfig;
  /** an outage: SIGKILL, every connection drops at once */
  kill(): Promise<void>;
  /** start again on the same port and folder, after kill() */
  restart(): Promise<void>;
  /** stop the process and delete the folder */
  stop(): Promise<void>;
};

type TRunning = { child: ChildProcess; port: number };

async function launch(directory: string, port: number): Promise<TRunning> {
  const child = spawn(
    process.execPath,
    ["--import", TSX, MAIN, JSON.stringify({ directory, port })],
    {
      stdio: ["pipe", "pipe", "pipe"],
    },
  );
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const actualPort = await new Promise<number>((resolve, reject) => {
    let stdout = "";
    const onData = (d: Buffer) => {
      stdout += d.toString();
      const line = stdout.split("\n")[0];
      if (stdout.includes("\n") && line) {
        child.stdout!.off("data", onData);
        resolve((JSON.parse(line) as { port: number }).port);
      }
    };
    child.stdout!.on("data", onData);
    child.once("exit", (code) => reject(new Error(`s3rver exited with ${code}: ${stderr}`)));
  });
  child.stdout!.resume();
  return { child, port: actualPort };
}

async function terminate(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill(signal);
  await exited;
}

/** Starts s3rver (127.0.0.1, a free port, a temporary folder) with the multipart shim. */
export async function startS3rver(options: { port?: number } = {}): Promise<TTestS3> {
  const directory = await mkdtemp(path.join(tmpdir(), "kubeserve-s3rver-"));
  let running = await launch(directory, options.port ?? 0);
  const port = running.port;
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    port,
    directory,
    storageConfig: (bucket = "kubeserve-test", extra = {}) => ({
      driver: "s3",
      endpoint,
      accessKey: "S3RVER",
      secretKey: "S3RVER",
      region: "us-east-1",
      bucket,
      pathStyle: true,
      ...extra,
    }),
    kill: () => terminate(running.child, "SIGKILL"),
    restart: async () => {
      await terminate(running.child, "SIGKILL");
      running = await launch(directory, port);
    },
    stop: async () => {
      await terminate(running.child, "SIGTERM");
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/**
 * `size` deterministic pseudo-random bytes generated on demand (never held in memory): one
 * pseudo-random block per seed, each chunk stamped with its index so no two chunks are equal.
 */
export function generatedStream(size: number, seed = 1, chunkBytes = 1 << 20): Readable {
  const base = Buffer.alloc(chunkBytes);
  fillPseudoRandom(base, seed);
  let sent = 0;
  let index = 0;
  return new Readable({
    highWaterMark: chunkBytes,
    read() {
      if (sent >= size) {
        this.push(null);
        return;
      }
      const length = Math.min(chunkBytes, size - sent);
      const chunk = Buffer.from(base.subarray(0, length));
      if (length >= 4) chunk.writeUInt32LE(index >>> 0, 0);
      index += 1;
      sent += length;
      this.push(chunk);
    },
  });
}

// Deterministic per seed: xorshift over the block, so tests can regenerate the same bytes.
function fillPseudoRandom(buffer: Buffer, seed: number): void {
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i + 4 <= buffer.length; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    buffer.writeUInt32LE(x >>> 0, i);
  }
}

/** The sha256 of generatedStream(size, seed, chunkBytes), by generating it again. */
export async function sha256OfGenerated(
  size: number,
  seed = 1,
  chunkBytes = 1 << 20,
): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of generatedStream(size, seed, chunkBytes)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

export type TTestDriver = {
  name: "fs" | "s3";
  config: TStorageConfig;
  /** the s3rver behind an "s3" driver */
  s3?: TTestS3;
  /** make the store unreachable: s3rver killed, or the fs root moved away (like an unmount) */
  outage(): Promise<void>;
  /** undo outage(): s3rver restarted on its port and folder, or the fs root moved back */
  recover(): Promise<void>;
  /** stop s3rver and delete every file */
  stop(): Promise<void>;
};

/** One driver set up for a shared test suite: `describe.each(["fs", "s3"])`. */
export async function startTestDriver(
  name: "fs" | "s3",
  extra: Partial<TS3StorageConfig> = {},
): Promise<TTestDriver> {
  if (name === "s3") {
    const s3 = await startS3rver();
    return {
      name,
      s3,
      config: s3.storageConfig("kubeserve-test", extra),
      outage: () => s3.kill(),
      recover: () => s3.restart(),
      stop: () => s3.stop(),
    };
  }
  const parent = await mkdtemp(path.join(tmpdir(), "kubeserve-fs-store-"));
  const dir = path.join(parent, "artifacts");
  return {
    name,
    config: { driver: "fs", dir },
    outage: () => rename(dir, `${dir}.gone`),
    recover: () => rename(`${dir}.gone`, dir),
    stop: () => rm(parent, { recursive: true, force: true }),
  };
}
