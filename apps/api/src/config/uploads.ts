import { z } from "zod";

// Upload section of the API's environment; `config.ts` is still the only module that reads it.

function positiveInt(what: string) {
  return z.coerce
    .number({ error: `must be ${what}` })
    .int(`must be ${what}`)
    .positive(`must be ${what}`);
}

export const ZUploadEnv = z.object({
  UPLOAD_MAX_BYTES: positiveInt("a positive number of bytes").default(2 * 1024 ** 3),
  UPLOAD_REQUIREMENTS_MAX_BYTES: positiveInt("a positive number of bytes").default(1_048_576),
  UPLOAD_EXPIRY_HOURS: positiveInt("a positive number of hours").default(24),
  UPLOAD_SWEEP_MINUTES: positiveInt("a positive number of minutes").default(60),
  ONNX_INSPECT_TIMEOUT_SECONDS: positiveInt("a positive number of seconds").default(60),
  ONNX_INSPECT_MAX_MEMORY_BYTES: positiveInt("a positive number of bytes").default(8 * 1024 ** 3),
});

export type TUploadEnv = z.infer<typeof ZUploadEnv>;

export type TUploadConfig = {
  /** largest model file */
  maxBytes: number;
  /** largest requirements.txt */
  requirementsMaxBytes: number;
  /** how long an incomplete resumable upload may wait for its next byte */
  expiryMs: number;
  /** how often orphaned objects and expired uploads are removed */
  sweepIntervalMs: number;
  inspect: { timeoutMs: number; maxMemoryBytes: number };
};

export function toUploadConfig(e: TUploadEnv): TUploadConfig {
  return {
    maxBytes: e.UPLOAD_MAX_BYTES,
    requirementsMaxBytes: e.UPLOAD_REQUIREMENTS_MAX_BYTES,
    expiryMs: e.UPLOAD_EXPIRY_HOURS * 3_600_000,
    sweepIntervalMs: e.UPLOAD_SWEEP_MINUTES * 60_000,
    inspect: {
      timeoutMs: e.ONNX_INSPECT_TIMEOUT_SECONDS * 1000,
      maxMemoryBytes: e.ONNX_INSPECT_MAX_MEMORY_BYTES,
    },
  };
}
