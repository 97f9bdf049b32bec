import { spawn } from "node:child_process";
import { createWriteStream, existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import { FsArtifactStore } from "@kubeserve/storage";
import type { TDeps } from "../deps";
import type { TSignature } from "../schemas/version";

// An uploaded ONNX file is untrusted native input: onnxruntime opens it in a child process that has a
// time limit and an address-space limit (RLIMIT_AS via prlimit; V8's heap flags do not cap onnxruntime),
// runs as this process's user with no credential in its environment, and answers with one JSON line.

export type TInspection =
  { isValid: true; signature: TSignature } | { isValid: false; reason: string };

const here = path.dirname(fileURLToPath(import.meta.url));
// From source (tests, `tsx`) the child is TypeScript; the production bundle ships it as onnx-inspect.js.
const sourceChild = path.join(here, "../onnx/inspect-child.ts");
const builtChild = path.join(here, "onnx-inspect.js");
const prlimitPath = ["/usr/bin/prlimit", "/bin/prlimit"].find((candidate) => existsSync(candidate));
const maxAnswerBytes = 4 * 1024 * 1024;

function childCommand(file: string, maxMemoryBytes: number): { command: string; args: string[] } {
  // No WebAssembly: its multi-GB address reservations would not fit under RLIMIT_AS (and nothing needs it).
  const nodeArgs = existsSync(sourceChild)
    ? [
        "--no-expose-wasm",
        "--import",
        pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href,
        sourceChild,
        file,
      ]
    : ["--no-expose-wasm", builtChild, file];
  if (!prlimitPath) return { command: process.execPath, args: nodeArgs };
  return {
    command: prlimitPath,
    args: [`--as=${maxMemoryBytes}`, "--", process.execPath, ...nodeArgs],
  };
}

/** Inspects the ONNX file at `file` (a local path). */
export function inspectOnnxFile(
  file: string,
  limits: { timeoutMs: number; maxMemoryBytes: number },
): Promise<TInspection> {
  const { command, args } = childCommand(file, limits.maxMemoryBytes);
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      stdio: ["ignore", "pipe", "pipe"],
      // Nothing of the API's environment (secrets, database URL) reaches the child.
      env: { NODE_ENV: "production" },
    });
    let stdout = "";
    let stderr = "";
    let isTimedOut = false;
    const timer = setTimeout(() => {
      isTimedOut = true;
      child.kill("SIGKILL");
    }, limits.timeoutMs);
    child.stdout.on("data", (chunk: Buffer) => {
      if (stdout.length < maxAnswerBytes) stdout += chunk.toString("utf8");
    });
    child.stderr.on("data", (chunk: Buffer) => {
      if (stderr.length < 16_384) stderr += chunk.toString("utf8");
    });
    child.on("error", (error) => {
      clearTimeout(timer);
      resolve({ isValid: false, reason: `the inspection could not start (${error.message})` });
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (isTimedOut) {
        resolve({
          isValid: false,
          reason: `opening it took longer than ${Math.round(limits.timeoutMs / 1000)} s (ONNX_INSPECT_TIMEOUT_SECONDS)`,
        });
        return;
      }
      const line = stdout.split("\n").find((l) => l.startsWith("{"));
      if (code === 0 && line) {
        try {
          resolve(JSON.parse(line) as TInspection);
          return;
        } catch {
          // Falls through to the generic reason below.
        }
      }
      const isOutOfMemory =
        /bad_alloc|out of memory|OOM|allocation fail|Cannot allocate|heap/i.test(stderr) ||
        signal === "SIGABRT" ||
        signal === "SIGSEGV";
      resolve({
        isValid: false,
        reason: isOutOfMemory
          ? "opening it needs more memory than the inspection allows (ONNX_INSPECT_MAX_MEMORY_BYTES)"
          : `onnxruntime stopped while opening it (${signal ?? `exit code ${code}`})`,
      });
    });
  });
}

/** Inspects a stored object: in place on the fs driver, from a temporary copy on S3. */
export async function inspectStoredOnnx(deps: TDeps, key: string): Promise<TInspection> {
  const limits = deps.config.uploads.inspect;
  if (deps.storage instanceof FsArtifactStore) {
    return inspectOnnxFile(await deps.storage.pathOf(key), limits);
  }
  const dir = await mkdtemp(path.join(tmpdir(), "kubeserve-inspect-"));
  try {
    const file = path.join(dir, "model.onnx");
    const { body } = await deps.storage.get(key);
    await pipeline(body, createWriteStream(file, { mode: 0o600, highWaterMark: 1 << 20 }));
    return await inspectOnnxFile(file, limits);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
