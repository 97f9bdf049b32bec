import { execFile } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { pipeline } from "node:stream/promises";
import type { TArtifactStore } from "@kubeserve/storage";
import type { TRuntimeConfig } from "../config/runtime";
import type { TSklearnConfig } from "../config/sklearn";
import type { TDesiredDeployment } from "./driver";
import path from "node:path";
import { hardenHome, IsolationError, isolatedIdsFor, stageDeployment } from "./local-isolation";
import { runSklearnTool, sklearnEnv, stderrTail } from "./sklearn-tools";

// Which model server a local replica runs, chosen by the version's framework: ONNX → apps/inference's CLI on
// this Node, scikit-learn → `SKLEARN_PYTHON -m kubeserve_sklearn serve`. Both take the same KUBESERVE_*
// variables (port 0 + "listening" line, replica token, batching), so readiness and restarts are shared.

/** The artifact store, read for a version's requirements.txt (the same interface on fs and S3). */
export type TRequirementsStore = Pick<TArtifactStore, "get">;

export type TLaunch = {
  command: string;
  args: string[];
  env: Record<string, string>;
  /** the replica's own uid and gid when RUNTIME_ISOLATION is on (local-isolation.ts) */
  uid?: number;
  gid?: number;
};

/** A replica that cannot start at all (no usable interpreter): failed at once, not restarted. */
export class LaunchError extends Error {
  override name = "LaunchError";
}

const preflightScript = [
  "import sys",
  "assert sys.version_info >= (3, 10), 'Python 3.10 or later is needed, this is ' + sys.version.split()[0]",
  "missing = []",
  "for name in ('numpy', 'sklearn', 'joblib', 'uvicorn'):",
  "    try:",
  "        __import__(name)",
  "    except Exception as error:",
  "        missing.append(f'{name} ({type(error).__name__}: {error})')",
  "assert not missing, 'cannot import ' + ', '.join(missing)",
  "import kubeserve_sklearn",
].join("\n");

const preflights = new Map<string, Promise<string | undefined>>();

function runPreflight(config: TSklearnConfig): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(
      config.python,
      ["-c", preflightScript],
      // Cast: Next's types (the dashboard type-checks this file too) make NODE_ENV a required key.
      { env: sklearnEnv(config) as NodeJS.ProcessEnv, timeout: 60_000, cwd: config.runtimePath },
      (error, _stdout, stderr) => {
        if (!error) return resolve(undefined);
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "ENOENT" || code === "EACCES") {
          return resolve(`SKLEARN_PYTHON=${config.python} cannot be run (${code})`);
        }
        const last = stderr.trim().split("\n").at(-1) ?? error.message;
        resolve(
          `the scikit-learn runtime cannot start with SKLEARN_PYTHON=${config.python}: ${last.replace(/^AssertionError: /, "")}`,
        );
      },
    );
  });
}

/** Checked once per interpreter and runtime folder (a failed check is retried on the next deploy). */
export async function checkSklearnRuntime(config: TSklearnConfig): Promise<string | undefined> {
  const key = `${config.python}\0${config.runtimePath}`;
  let check = preflights.get(key);
  if (!check) {
    check = runPreflight(config);
    preflights.set(key, check);
  }
  const problem = await check;
  if (problem) preflights.delete(key);
  return problem;
}

/**
 * The interpreter for a version with requirements.txt: a venv layered on SKLEARN_PYTHON
 * (--system-site-packages), built once per requirements hash, wheels only, read-only once built.
 */
async function pythonFor(
  spec: TDesiredDeployment,
  sklearn: TSklearnConfig,
  store: TRequirementsStore | undefined,
): Promise<string> {
  const requirements = spec.requirements;
  if (!requirements) return sklearn.python;
  if (path.isAbsolute(requirements.uri)) return buildVenv(requirements.uri, sklearn);
  if (!store) throw new LaunchError("requirements.txt is in a store this runtime cannot read");
  // An object key (fs or S3 store): read through the store into a private file for pip.
  const folder = await mkdtemp(path.join(tmpdir(), "ks-requirements-"));
  try {
    const file = path.join(folder, "requirements.txt");
    const object = await store.get(requirements.uri).catch((error: unknown) => {
      throw new LaunchError(`requirements.txt could not be read from the store: ${String(error)}`);
    });
    await pipeline(object.body, createWriteStream(file, { mode: 0o600, highWaterMark: 1 << 20 }));
    return await buildVenv(file, sklearn);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

async function buildVenv(requirementsFile: string, sklearn: TSklearnConfig): Promise<string> {
  const result = await runSklearnTool(
    sklearn,
    [
      "venv",
      "--requirements",
      requirementsFile,
      "--root",
      sklearn.venvDir,
      "--timeout",
      String(Math.round(sklearn.venvTimeoutMs / 1000)),
    ],
    { timeoutMs: sklearn.venvTimeoutMs + 30_000, env: sklearn.pipEnv },
  );
  const answer = result.answer;
  if (result.code === 0 && typeof answer?.python === "string") return answer.python;
  if (result.startError) throw new LaunchError(result.startError);
  if (result.isTimedOut) {
    throw new LaunchError(
      `installing requirements.txt took longer than ${sklearn.venvTimeoutMs / 1000} s (SKLEARN_VENV_TIMEOUT_SECONDS)`,
    );
  }
  const pipTail = Array.isArray(answer?.pipTail) ? (answer.pipTail as string[]).slice(-5) : [];
  const error = typeof answer?.error === "string" ? answer.error : stderrTail(result.stderr);
  throw new LaunchError(
    `requirements.txt could not be installed: ${error}${pipTail.length > 0 ? `: ${pipTail.join(" | ")}` : ""}`,
  );
}

async function frameworkLaunch(
  spec: TDesiredDeployment,
  runtime: TRuntimeConfig,
  sklearn: TSklearnConfig | undefined,
  env: Record<string, string>,
  store: TRequirementsStore | undefined,
): Promise<TLaunch> {
  if ((spec.framework ?? "onnx") === "onnx") {
    return { command: process.execPath, args: [runtime.inferenceCli], env };
  }
  if (!sklearn) throw new LaunchError("the scikit-learn runtime is not configured on this API");
  const problem = await checkSklearnRuntime(sklearn);
  if (problem) throw new LaunchError(problem);
  return {
    command: await pythonFor(spec, sklearn, store),
    args: ["-m", "kubeserve_sklearn", "serve"],
    env: { ...env, ...sklearnEnv(sklearn) },
  };
}

/** ONNX replicas are isolated too: onnxruntime parses an untrusted file, and each holds a token. */
async function isolate(
  launch: TLaunch,
  spec: TDesiredDeployment,
  runtime: TRuntimeConfig,
  sklearn: TSklearnConfig | undefined,
): Promise<TLaunch> {
  if (!runtime.isolation) return launch;
  const ids = isolatedIdsFor(runtime.isolation.uidBase, spec.id);
  try {
    await hardenHome(runtime, sklearn?.venvDir);
    const model = launch.env.KUBESERVE_MODEL;
    const staged = await stageDeployment(runtime, spec.id, ids, {
      path: model && path.isAbsolute(model) ? model : undefined,
      sha256: spec.model.sha256,
    });
    const env: Record<string, string> = {
      ...launch.env,
      KUBESERVE_MODEL_CACHE_DIR: staged.cacheDir,
    };
    if (staged.modelPath) env.KUBESERVE_MODEL = staged.modelPath;
    return { ...launch, env, ...ids };
  } catch (error) {
    if (error instanceof IsolationError) throw new LaunchError(error.message);
    throw new LaunchError(`runtime isolation could not prepare the replica: ${String(error)}`);
  }
}

export async function launchFor(
  spec: TDesiredDeployment,
  runtime: TRuntimeConfig,
  sklearn: TSklearnConfig | undefined,
  env: Record<string, string>,
  store?: TRequirementsStore,
): Promise<TLaunch> {
  return isolate(await frameworkLaunch(spec, runtime, sklearn, env, store), spec, runtime, sklearn);
}
