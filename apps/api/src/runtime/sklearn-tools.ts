import { spawn } from "node:child_process";
import type { TSklearnConfig } from "../config/sklearn";

// `python3 -m kubeserve_sklearn scan|inspect|requirements|venv` as child processes: one JSON object on the
// last stdout line, exit 0 (ok), 2 (refused), 1 (could not run). The API never parses a pickle itself.

export type TToolResult = {
  /** the exit code, or null when the child was killed (timeout) or did not start */
  code: number | null;
  answer: Record<string, unknown> | undefined;
  stderr: string;
  isTimedOut: boolean;
  /** set when the interpreter could not be started at all */
  startError: string | undefined;
};

const maxAnswerBytes = 4 * 1024 * 1024;
const maxStderrBytes = 16_384;

/** The environment a tool or model server gets: the runtime on PYTHONPATH, the admin allow-list, no secrets. */
export function sklearnEnv(config: TSklearnConfig): Record<string, string> {
  return {
    PYTHONPATH: config.runtimePath,
    // `unshare` (network isolation of the inspect child) is looked up on PATH.
    PATH: "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
    LANG: "C.UTF-8",
    PYTHONDONTWRITEBYTECODE: "1",
    OPENBLAS_NUM_THREADS: "1",
    ...(config.sandboxUid === undefined
      ? {}
      : { KUBESERVE_SANDBOX_UID: String(config.sandboxUid) }),
    ...(config.pickleAllow.length > 0
      ? { KUBESERVE_PICKLE_ALLOW: config.pickleAllow.join(",") }
      : {}),
  };
}

function parseAnswer(stdout: string): Record<string, unknown> | undefined {
  const line = stdout.trim().split("\n").at(-1) ?? "";
  if (!line.startsWith("{")) return undefined;
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** Runs one tool; `timeoutMs` is a hard wall-clock limit (SIGKILL) on top of the tool's own limits. */
export function runSklearnTool(
  config: TSklearnConfig,
  args: string[],
  options: { timeoutMs: number; env?: Record<string, string> },
): Promise<TToolResult> {
  return new Promise((resolve) => {
    const child = spawn(config.python, ["-m", "kubeserve_sklearn", ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      // Nothing of the API's environment (secrets, database URL) reaches the child.
      env: { ...sklearnEnv(config), ...options.env } as NodeJS.ProcessEnv,
      cwd: config.runtimePath,
    });
    let stdout = "";
    let stderr = "";
    let isTimedOut = false;
    let startError: string | undefined;
    const timer = setTimeout(() => {
      isTimedOut = true;
      child.kill("SIGKILL");
    }, options.timeoutMs);
    child.stdout.on("data", (chunk: Buffer) => {
      if (stdout.length < maxAnswerBytes) stdout += chunk.toString("utf8");
    });
    child.stderr.on("data", (chunk: Buffer) => {
      if (stderr.length < maxStderrBytes) stderr += chunk.toString("utf8");
    });
    child.on("error", (error) => {
      startError = `${config.python} could not be started (${error.message}); set SKLEARN_PYTHON`;
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({
        code: isTimedOut ? null : code,
        answer: isTimedOut ? undefined : parseAnswer(stdout),
        stderr,
        isTimedOut,
        startError,
      });
    });
  });
}

/** The last lines of a tool's stderr, for a reason that names what went wrong (e.g. an ImportError). */
export function stderrTail(stderr: string, lines = 3): string {
  return stderr.trim().split("\n").slice(-lines).join(" | ").slice(0, 600);
}
