import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";

// The scikit-learn runtime section of the API's environment; `config.ts` is still the only reader.

function positiveInt(what: string) {
  return z.coerce
    .number({ error: `must be ${what}` })
    .int(`must be ${what}`)
    .positive(`must be ${what}`);
}

/** `module.qualname` as the scan compares them: dotted identifiers, a module and one name at least. */
const globalPattern = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$/;

const ZPickleAllow = z
  .string()
  .default("")
  .transform((value) =>
    value
      .split(",")
      .map((entry) => entry.trim())
      .filter(Boolean),
  )
  .pipe(
    z.array(
      z
        .string()
        .regex(
          globalPattern,
          "must be a comma-separated list of exact module.qualname globals (e.g. xgboost.sklearn.XGBClassifier)",
        ),
    ),
  );

export const ZSklearnEnv = z.object({
  SKLEARN_PYTHON: z.string().min(1).default("/usr/bin/python3"),
  SKLEARN_RUNTIME_PATH: z.string().min(1).optional(),
  SKLEARN_INSPECT_TIMEOUT_SECONDS: positiveInt("a positive number of seconds").default(60),
  SKLEARN_INSPECT_MAX_MEMORY_BYTES: positiveInt("a positive number of bytes").default(
    4 * 1024 ** 3,
  ),
  SKLEARN_PICKLE_ALLOW: ZPickleAllow,
  SKLEARN_VENV_DIR: z.string().min(1).optional(),
  SKLEARN_VENV_TIMEOUT_SECONDS: positiveInt("a positive number of seconds").default(600),
  // pip's own settings, handed to the venv build only (a wheelhouse or a private index)
  PIP_INDEX_URL: z.string().min(1).optional(),
  PIP_EXTRA_INDEX_URL: z.string().min(1).optional(),
  PIP_FIND_LINKS: z.string().min(1).optional(),
  PIP_NO_INDEX: z.string().min(1).optional(),
  PIP_TRUSTED_HOST: z.string().min(1).optional(),
});

const pipVariables = [
  "PIP_INDEX_URL",
  "PIP_EXTRA_INDEX_URL",
  "PIP_FIND_LINKS",
  "PIP_NO_INDEX",
  "PIP_TRUSTED_HOST",
] as const;

export type TSklearnEnv = z.infer<typeof ZSklearnEnv>;

export type TSklearnConfig = {
  /** the interpreter that runs the tools and the model server */
  python: string;
  /** the folder holding the `kubeserve_sklearn` package (put on PYTHONPATH) */
  runtimePath: string;
  inspect: { timeoutMs: number; maxMemoryBytes: number };
  /** admin additions to the pickle allow-list; nothing a user uploads widens it */
  pickleAllow: string[];
  /** per-requirements-hash venvs (local runtime) */
  venvDir: string;
  venvTimeoutMs: number;
  /** PIP_* variables passed to `pip install` in the venv build */
  pipEnv: Record<string, string>;
  /** as root with RUNTIME_ISOLATION: the uid the upload's sandboxed load of a pickle drops to */
  sandboxUid: number | undefined;
};

/** `runtimes/sklearn` of this checkout, found from this file upwards. */
function findRuntimePath(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, "runtimes", "sklearn");
    if (existsSync(path.join(candidate, "kubeserve_sklearn"))) return candidate;
    dir = path.dirname(dir);
  }
  return path.resolve("runtimes/sklearn");
}

export function toSklearnConfig(
  e: TSklearnEnv,
  homeDir: string,
  sandboxUid?: number,
): TSklearnConfig {
  return {
    sandboxUid,
    python: e.SKLEARN_PYTHON,
    runtimePath: path.resolve(e.SKLEARN_RUNTIME_PATH ?? findRuntimePath()),
    inspect: {
      timeoutMs: e.SKLEARN_INSPECT_TIMEOUT_SECONDS * 1000,
      maxMemoryBytes: e.SKLEARN_INSPECT_MAX_MEMORY_BYTES,
    },
    pickleAllow: e.SKLEARN_PICKLE_ALLOW,
    venvDir: path.resolve(e.SKLEARN_VENV_DIR ?? path.join(homeDir, "runtimes")),
    venvTimeoutMs: e.SKLEARN_VENV_TIMEOUT_SECONDS * 1000,
    pipEnv: Object.fromEntries(
      pipVariables.flatMap((name) => (e[name] === undefined ? [] : [[name, e[name]]])),
    ),
  };
}
