import { createWriteStream } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { FsArtifactStore } from "@kubeserve/storage";
import type { TSklearnConfig } from "../config/sklearn";
import type { TDeps } from "../deps";
import { runSklearnTool, stderrTail, type TToolResult } from "../runtime/sklearn-tools";
import { type TSignature, ZSignature, ZSklearnInfo } from "../schemas/version";

// An uploaded pickle is code. `kubeserve_sklearn inspect` scans its opcodes against the allow-list first and
// only then loads it, once, in a sandboxed grandchild (rlimits, no network where `unshare -n` works). This
// process only reads the JSON answer.

export type TSklearnInspection =
  { isValid: true; signature: TSignature; warnings: string[] } | { isValid: false; reason: string };

/** Time for the interpreter to start and the scan to run, beyond the load's own limit. */
const startupAllowanceMs = 30_000;

type TRawTensor = { name: string; datatype: string; shape: number[]; dims?: (string | number)[] };

function toTensorSpec(tensor: TRawTensor) {
  return {
    name: tensor.name,
    datatype: tensor.datatype,
    shape: tensor.shape,
    dimNames: (tensor.dims ?? tensor.shape.map(() => null)).map((d) =>
      typeof d === "string" ? d : null,
    ),
  };
}

function describeFailure(result: TToolResult, config: TSklearnConfig): string {
  if (result.startError) return result.startError;
  if (result.isTimedOut) {
    return `inspecting it took longer than ${Math.round(config.inspect.timeoutMs / 1000)} s (SKLEARN_INSPECT_TIMEOUT_SECONDS)`;
  }
  const answer = result.answer;
  const error = typeof answer?.error === "string" ? answer.error : undefined;
  const refused = Array.isArray(answer?.refused) ? (answer.refused as string[]) : [];
  if (answer?.stage === "scan" || refused.length > 0) {
    if (refused.length > 0) {
      return (
        `the pickle imports globals that are not on the allow-list: ${refused.join(", ")} ` +
        "(a pickle runs what it imports, so it was never loaded; an admin may allow exact " +
        "module.qualname pairs with SKLEARN_PICKLE_ALLOW)"
      );
    }
    return `the pickle scan refused it: ${error ?? "malformed pickle"}`;
  }
  if (answer?.stage === "estimator") return `it is not a usable scikit-learn model: ${error}`;
  if (answer?.stage === "load") {
    const isMemory = /MemoryError|exited with -9|Cannot allocate/i.test(error ?? "");
    return isMemory
      ? `loading it needs more memory than the inspection allows (SKLEARN_INSPECT_MAX_MEMORY_BYTES): ${error}`
      : `loading it failed: ${error}`;
  }
  if (error) return error;
  const tail = stderrTail(result.stderr);
  return `the scikit-learn inspection stopped (exit code ${result.code})${tail ? `: ${tail}` : ""}`;
}

function toInspection(result: TToolResult, config: TSklearnConfig): TSklearnInspection {
  const answer = result.answer;
  if (result.code !== 0 || answer?.ok !== true) {
    return { isValid: false, reason: describeFailure(result, config) };
  }
  const raw = answer.signature as { inputs: TRawTensor[]; outputs: TRawTensor[] };
  const warnings = Array.isArray(answer.warnings) ? (answer.warnings as string[]) : [];
  const sklearn = ZSklearnInfo.safeParse({ ...(answer.metadata as object), warnings });
  const signature = ZSignature.safeParse({
    inputs: raw.inputs.map(toTensorSpec),
    outputs: raw.outputs.map(toTensorSpec),
    ...(sklearn.success ? { sklearn: sklearn.data } : {}),
  });
  if (!signature.success || !sklearn.success) {
    return { isValid: false, reason: "the inspection answered with an unexpected signature" };
  }
  return { isValid: true, signature: signature.data, warnings };
}

/** Scans and inspects the pickle at `file` (a local path). */
export async function inspectSklearnFile(
  config: TSklearnConfig,
  file: string,
): Promise<TSklearnInspection> {
  const seconds = Math.max(1, Math.round(config.inspect.timeoutMs / 1000));
  const result = await runSklearnTool(
    config,
    [
      "inspect",
      file,
      "--timeout",
      String(seconds),
      "--memory-bytes",
      String(config.inspect.maxMemoryBytes),
    ],
    { timeoutMs: config.inspect.timeoutMs + startupAllowanceMs },
  );
  return toInspection(result, config);
}

/** Inspects a stored object: in place on the fs driver, from a temporary copy on S3. */
export async function inspectStoredSklearn(deps: TDeps, key: string): Promise<TSklearnInspection> {
  const config = deps.config.sklearn;
  if (deps.storage instanceof FsArtifactStore) {
    return inspectSklearnFile(config, await deps.storage.pathOf(key));
  }
  const dir = await mkdtemp(path.join(tmpdir(), "kubeserve-sklearn-"));
  try {
    const file = path.join(dir, "model.joblib");
    const { body } = await deps.storage.get(key);
    await pipeline(body, createWriteStream(file, { mode: 0o600, highWaterMark: 1 << 20 }));
    return await inspectSklearnFile(config, file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export type TRequirementsCheck =
  { isValid: true; hash: string; names: string[] } | { isValid: false; reason: string };

/** Validates requirements.txt with the runtime's own parser (the one the venv build uses). */
export async function checkRequirementsText(
  config: TSklearnConfig,
  text: Buffer,
  maxBytes: number,
): Promise<TRequirementsCheck> {
  const dir = await mkdtemp(path.join(tmpdir(), "kubeserve-requirements-"));
  try {
    const file = path.join(dir, "requirements.txt");
    await writeFile(file, text, { mode: 0o600 });
    const result = await runSklearnTool(
      config,
      ["requirements", file, "--max-bytes", String(maxBytes)],
      { timeoutMs: 30_000 },
    );
    const answer = result.answer;
    if (result.code === 0 && answer?.ok === true) {
      const rows = (answer.requirements as { name: string }[] | undefined) ?? [];
      return { isValid: true, hash: String(answer.hash), names: rows.map((r) => r.name) };
    }
    const errors = (answer?.errors as { line: number | null; error: string }[] | undefined) ?? [];
    if (errors.length > 0) {
      const listed = errors
        .slice(0, 5)
        .map((e) => (e.line ? `line ${e.line}: ${e.error}` : e.error))
        .join("; ");
      const more = errors.length > 5 ? ` (and ${errors.length - 5} more)` : "";
      return { isValid: false, reason: `requirements.txt is refused: ${listed}${more}` };
    }
    return {
      isValid: false,
      reason: `requirements.txt could not be checked: ${describeFailure(result, config)}`,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
