import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, type FSWatcher, openSync, readFileSync, watch } from "node:fs";
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";

// The operating-system side of the local runtime: one model-server process per replica, its pid file,
// its log file, and how it is probed, measured and stopped.

/** What the supervisor leaves on disk for a replica, so a restarted API can find and adopt it (mode 0600). */
export type TPidRecord = {
  deploymentId: string;
  replicaId: string;
  generation: number;
  pid: number;
  port: number | undefined;
  token: string;
  logFile: string;
  startedAt: string;
};

export type TExit = { code: number | null; signal: NodeJS.Signals | null };

export type TSpawned = {
  child: ChildProcess;
  pid: number;
  exited: Promise<TExit>;
  logOffset: number;
};

export function deploymentDir(root: string, deploymentId: string): string {
  return path.join(root, deploymentId);
}

function pidFile(root: string, deploymentId: string, replicaId: string): string {
  return path.join(root, deploymentId, `${replicaId}.json`);
}

export async function writePidRecord(root: string, record: TPidRecord): Promise<void> {
  const file = pidFile(root, record.deploymentId, record.replicaId);
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  // Written aside and renamed, so a crash never leaves half a record for the next API to misread.
  await writeFile(`${file}.tmp`, JSON.stringify(record), { mode: 0o600 });
  await rename(`${file}.tmp`, file);
}

export async function removePidRecord(root: string, deploymentId: string, replicaId: string) {
  await rm(pidFile(root, deploymentId, replicaId), { force: true });
}

export async function readPidRecords(root: string): Promise<TPidRecord[]> {
  const records: TPidRecord[] = [];
  const folders = await readdir(root).catch(() => [] as string[]);
  for (const folder of folders) {
    const files = await readdir(path.join(root, folder)).catch(() => [] as string[]);
    for (const file of files.filter((name) => name.endsWith(".json"))) {
      try {
        records.push(
          JSON.parse(await readFile(path.join(root, folder, file), "utf8")) as TPidRecord,
        );
      } catch {
        // Unreadable leftovers are removed by the caller's sweep of unknown files.
      }
    }
  }
  return records;
}

/** Starts the model server with its output appended to `logFile` (not a pipe, so it outlives an API crash). */
export async function spawnReplica(
  options: {
    env: Record<string, string>;
    logFile: string;
    /** RUNTIME_ISOLATION: the replica's own uid/gid (libuv also drops supplementary groups) */
    uid?: number | undefined;
    gid?: number | undefined;
  } & ({ command: string; args: string[] } | { cli: string }),
): Promise<TSpawned> {
  // `cli`: apps/inference's built CLI on this Node; `command`: any model server (local-launch.ts).
  const [command, args] =
    "cli" in options ? [process.execPath, [options.cli]] : [options.command, options.args];
  await mkdir(path.dirname(options.logFile), { recursive: true, mode: 0o700 });
  const logOffset = (await stat(options.logFile).catch(() => undefined))?.size ?? 0;
  const fd = openSync(options.logFile, "a", 0o600);
  try {
    const child = spawn(command, args, {
      // Cast: Next's types (the dashboard type-checks this file too) make NODE_ENV a required key.
      env: options.env as NodeJS.ProcessEnv,
      stdio: ["ignore", fd, fd],
      // Its own process group: a Ctrl-C in the API's terminal reaches the API, which stops replicas in order.
      detached: true,
      ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.gid ?? options.uid }),
    });
    child.unref();
    const exited = new Promise<TExit>((resolve) => {
      child.once("exit", (code, signal) => resolve({ code, signal }));
      child.once("error", () => resolve({ code: null, signal: null }));
    });
    if (child.pid === undefined) throw new Error("the model server process did not start");
    return { child, pid: child.pid, exited, logOffset };
  } finally {
    closeSync(fd);
  }
}

/** Lines appended to `file` after `offset`, at most the last `count`. */
export async function tailLines(file: string, count: number, offset = 0): Promise<string[]> {
  const handle = await open(file, "r").catch(() => undefined);
  if (!handle) return [];
  try {
    const { size } = await handle.stat();
    const start = Math.max(offset, size - 64 * 1024);
    const buffer = Buffer.alloc(size - start);
    await handle.read(buffer, 0, buffer.length, start);
    return buffer.toString("utf8").split("\n").filter(Boolean).slice(-count);
  } finally {
    await handle.close();
  }
}

export type TChangeWaiter = { next: (maxMs: number) => Promise<void>; close: () => void };

/**
 * Waits for the next change of `file` (inotify), or `maxMs` at most: the supervisor sees a replica's
 * "listening" and "model ready" lines as they are written instead of on its next poll.
 */
export function watchChanges(file: string): TChangeWaiter {
  let isChanged = false;
  let wake: (() => void) | undefined;
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(file, { persistent: false }, () => {
      isChanged = true;
      wake?.();
    });
    watcher.on("error", () => undefined);
  } catch {
    // No watch on this file system: the timeout alone paces the caller.
  }
  return {
    next: (maxMs) =>
      new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          wake = undefined;
          isChanged = false;
          resolve();
        };
        const timer = setTimeout(done, isChanged ? 0 : maxMs);
        wake = done;
      }),
    close: () => watcher?.close(),
  };
}

/** Reads the server's `"msg":"listening"` line for its port (it was started with `--port 0`). */
export async function readListeningPort(file: string, offset: number): Promise<number | undefined> {
  for (const line of await tailLines(file, 50, offset)) {
    if (!line.includes('"listening"')) continue;
    try {
      const entry = JSON.parse(line) as { msg?: string; port?: number };
      if (entry.msg === "listening" && typeof entry.port === "number") return entry.port;
    } catch {
      // Not JSON: some other output.
    }
  }
  return undefined;
}

export async function isReplicaReady(origin: string, token: string): Promise<boolean> {
  try {
    const response = await fetch(`${origin}/v2/health/ready`, {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(2000),
    });
    await response.body?.cancel();
    return response.status === 200;
  } catch {
    return false;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
  return !isZombie(pid);
}

/** An exited process its parent has not reaped yet (an orphan of a killed API waits for init) still answers kill 0. */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state === "Z" || state === "X";
  } catch {
    return false;
  }
}

/** True when `pid` is a model server of this deployment (pids are reused: a stale pid file proves nothing). */
export async function isReplicaProcess(pid: number, deploymentId: string): Promise<boolean> {
  try {
    const environ = await readFile(`/proc/${pid}/environ`, "utf8");
    return environ.split("\0").includes(`KUBESERVE_DEPLOYMENT=${deploymentId}`);
  } catch {
    return false;
  }
}

/** Resident memory of `pid` in bytes (Linux /proc), or undefined when it cannot be read. */
export async function readRssBytes(pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, "utf8");
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match?.[1] ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}

/** SIGTERM (the server drains), then SIGKILL once `graceMs` has passed; resolves when the process is gone. */
export async function terminate(
  pid: number,
  graceMs: number,
  exited: Promise<unknown> | undefined,
): Promise<void> {
  signal(pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  const gone = exited ?? waitUntilGone(pid, deadline + 5000);
  const timer = new Promise<"timeout">((resolve) => {
    const t = setTimeout(() => resolve("timeout"), graceMs);
    t.unref();
    void gone.then(() => clearTimeout(t));
  });
  if ((await Promise.race([gone.then(() => "gone" as const), timer])) === "timeout") {
    signal(pid, "SIGKILL");
    await Promise.race([gone, waitUntilGone(pid, Date.now() + 5000)]);
  }
}

async function waitUntilGone(pid: number, deadline: number): Promise<void> {
  while (isAlive(pid) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const quantityUnits: Record<string, number> = {
  "": 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
};

/** Bytes of a Kubernetes memory quantity (`512Mi`, `1G`, `1048576`), or undefined if it is not one. */
export function memoryBytes(quantity: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(quantity);
  if (!match?.[1]) return undefined;
  return Math.round(Number(match[1]) * (quantityUnits[match[2] ?? ""] ?? 1));
}

/** Millicores of a Kubernetes CPU quantity (`500m`, `2`, `0.5`), or undefined if it is not one. */
export function cpuMillis(quantity: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(m)?$/.exec(quantity);
  if (!match?.[1]) return undefined;
  return match[2] ? Number(match[1]) : Number(match[1]) * 1000;
}
