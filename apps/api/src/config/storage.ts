import path from "node:path";
import type { TStorageConfig } from "@kubeserve/storage";
import { z } from "zod";

// Storage section of the API's environment; `config.ts` is still the only module that reads it.

export const ZStorageEnv = z.object({
  STORAGE_DRIVER: z.enum(["fs", "s3"], { error: "must be fs or s3" }).default("fs"),
  STORAGE_FS_DIR: z.string().min(1).optional(),
  STORAGE_WAIT_SECONDS: z.coerce
    .number({ error: "must be a positive number of seconds" })
    .int("must be a positive number of seconds")
    .positive("must be a positive number of seconds")
    .default(30),
  S3_ENDPOINT: z
    .url({ protocol: /^https?$/, error: "must be an http(s) URL, e.g. http://minio:9000" })
    .optional(),
  S3_ACCESS_KEY: z.string().optional(),
  S3_SECRET_KEY: z.string().optional(),
  S3_REGION: z.string().min(1).default("us-east-1"),
  S3_BUCKET: z
    .string()
    .regex(
      /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
      "must be an S3 bucket name (3–63 lowercase letters, digits, '.', '-')",
    )
    .default("kubeserve-artifacts"),
  S3_PATH_STYLE: z
    .enum(["true", "false", "1", "0"], { error: "must be true or false" })
    .transform((value) => value === "true" || value === "1")
    .default(true),
});

export type TStorageEnv = z.infer<typeof ZStorageEnv>;

export type TApiStorageConfig = { store: TStorageConfig; waitSeconds: number };

/** Returns the store settings, or the names of variables an S3 store needs but did not get. */
export function toStorageConfig(
  e: TStorageEnv,
  homeDir: string,
): TApiStorageConfig | { missing: string[] } {
  if (e.STORAGE_DRIVER === "fs") {
    const dir = path.resolve(e.STORAGE_FS_DIR ?? path.join(homeDir, "artifacts"));
    return { store: { driver: "fs", dir }, waitSeconds: e.STORAGE_WAIT_SECONDS };
  }
  const missing = (["S3_ENDPOINT", "S3_ACCESS_KEY", "S3_SECRET_KEY"] as const).filter(
    (name) => !e[name],
  );
  if (missing.length > 0 || !e.S3_ENDPOINT) return { missing };
  return {
    store: {
      driver: "s3",
      endpoint: e.S3_ENDPOINT,
      accessKey: e.S3_ACCESS_KEY ?? "",
      secretKey: e.S3_SECRET_KEY ?? "",
      region: e.S3_REGION,
      bucket: e.S3_BUCKET,
      pathStyle: e.S3_PATH_STYLE,
    },
    waitSeconds: e.STORAGE_WAIT_SECONDS,
  };
}
