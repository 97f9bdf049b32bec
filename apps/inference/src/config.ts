import { createRequire } from "node:module";
import { parseArgs } from "node:util";
import type { z } from "zod";
import { configFastPath } from "./config-fast";

// One row per setting: the environment variable, the CLI flag and how to read it.
const SETTINGS = {
  model: { env: "KUBESERVE_MODEL", flag: "model", help: "local .onnx, s3://bucket/key or URL" },
  name: { env: "KUBESERVE_MODEL_NAME", flag: "name", help: "model name in URLs" },
  version: { env: "KUBESERVE_MODEL_VERSION", flag: "version", help: "model version in URLs" },
  sha256: { env: "KUBESERVE_MODEL_SHA256", flag: "sha256", help: "expected SHA-256 of the file" },
  modelToken: {
    env: "KUBESERVE_MODEL_TOKEN",
    flag: "model-token",
    help: "bearer token for an http(s) model URL (prefer the env var)",
  },
  deployment: { env: "KUBESERVE_DEPLOYMENT", flag: "deployment", help: "metrics label" },
  host: { env: "KUBESERVE_HOST", flag: "host", help: "listen address" },
  port: { env: "KUBESERVE_PORT", flag: "port", help: "listen port (0 = any free port)" },
  authToken: {
    env: "KUBESERVE_AUTH_TOKEN",
    flag: "auth-token",
    help: "require Authorization: Bearer <token> (prefer the env var: argv is public)",
  },
  publicHealth: {
    env: "KUBESERVE_PUBLIC_HEALTH",
    flag: "public-health",
    help: "true: /v2/health/{live,ready} answer without the token (kubelet probes)",
  },
  maxBodyBytes: { env: "KUBESERVE_MAX_BODY_BYTES", flag: "max-body-bytes", help: "413 above" },
  batching: { env: "KUBESERVE_BATCHING", flag: "batching", help: "auto | on | off" },
  maxBatchSize: { env: "KUBESERVE_MAX_BATCH_SIZE", flag: "max-batch-size", help: "rows per run" },
  maxQueueDelayMs: {
    env: "KUBESERVE_MAX_QUEUE_DELAY_MS",
    flag: "max-queue-delay-ms",
    help: "longest wait for companions",
  },
  maxQueueSize: {
    env: "KUBESERVE_MAX_QUEUE_SIZE",
    flag: "max-queue-size",
    help: "queued requests before 503",
  },
  maxQueueBytes: {
    env: "KUBESERVE_MAX_QUEUE_BYTES",
    flag: "max-queue-bytes",
    help: "queued body bytes before 503",
  },
  workers: {
    env: "KUBESERVE_WORKERS",
    flag: "workers",
    help: "server processes (CLI; each loads the model)",
  },
  intraOpThreads: {
    env: "KUBESERVE_INTRA_OP_THREADS",
    flag: "intra-op-threads",
    help: "ONNX Runtime intra-op threads",
  },
  interOpThreads: {
    env: "KUBESERVE_INTER_OP_THREADS",
    flag: "inter-op-threads",
    help: "ONNX Runtime inter-op threads",
  },
  v1Output: { env: "KUBESERVE_V1_OUTPUT", flag: "v1-output", help: "output used as predictions" },
  cacheDir: { env: "KUBESERVE_MODEL_CACHE_DIR", flag: "cache-dir", help: "S3 download cache" },
  s3Endpoint: { env: "KUBESERVE_S3_ENDPOINT", flag: "s3-endpoint", help: "S3/MinIO endpoint URL" },
  s3AccessKey: { env: "KUBESERVE_S3_ACCESS_KEY", flag: "s3-access-key", help: "S3 access key" },
  s3SecretKey: { env: "KUBESERVE_S3_SECRET_KEY", flag: "s3-secret-key", help: "S3 secret key" },
  s3Region: { env: "KUBESERVE_S3_REGION", flag: "s3-region", help: "S3 region" },
  logLevel: { env: "KUBESERVE_LOG_LEVEL", flag: "log-level", help: "pino log level" },
  shutdownTimeoutMs: {
    env: "KUBESERVE_SHUTDOWN_TIMEOUT_MS",
    flag: "shutdown-timeout-ms",
    help: "drain limit on SIGTERM",
  },
} as const;

type TSettingKey = keyof typeof SETTINGS;

type TZod = typeof z;

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const SHA256 = /^[0-9a-fA-F]{64}$/;
const AUTH_TOKEN = /^[\x21-\x7e]{16,}$/;
const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

function buildConfigSchema(z: TZod) {
  const zInt = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
  return z.object({
    model: z.string().min(1, "a local .onnx path, an s3://bucket/key URI or an http(s):// URL"),
    name: z.string().regex(NAME, "letters, digits, '_', '.', '-'").optional(),
    version: z.string().regex(NAME, "letters, digits, '_', '.', '-'").default("1"),
    sha256: z
      .string()
      .regex(SHA256, "64 hex digits")
      .transform((s) => s.toLowerCase())
      .optional(),
    modelToken: z.string().min(1).optional(),
    deployment: z.string().default(""),
    host: z.string().min(1).default("0.0.0.0"),
    port: zInt(0, 65535).default(8080),
    authToken: z
      .string()
      .regex(AUTH_TOKEN, "at least 16 printable ASCII characters, no spaces")
      .optional(),
    // A string from the flag or environment, a boolean when a parsed config is passed back in.
    publicHealth: z
      .union([
        z.boolean(),
        z
          .enum(["true", "false"], { error: "true or false" })
          .transform((value) => value === "true"),
      ])
      .default(false),
    maxBodyBytes: zInt(1024, 2 ** 31).default(32 * 1024 * 1024),
    batching: z.enum(["auto", "on", "off"]).default("auto"),
    maxBatchSize: zInt(1, 65536).default(32),
    maxQueueDelayMs: z.coerce.number().min(0).max(1000).default(1),
    maxQueueSize: zInt(1, 1_000_000).default(1024),
    maxQueueBytes: zInt(1024, 2 ** 40).default(256 * 1024 * 1024),
    workers: zInt(1, 64).default(1),
    intraOpThreads: zInt(1, 256).default(1),
    interOpThreads: zInt(1, 256).default(1),
    v1Output: z.string().min(1).optional(),
    cacheDir: z.string().min(1).default(".kubeserve/model-cache"),
    s3Endpoint: z.url({ protocol: /^https?$/ }).optional(),
    s3AccessKey: z.string().min(1).optional(),
    s3SecretKey: z.string().min(1).optional(),
    s3Region: z.string().min(1).default("us-east-1"),
    logLevel: z.enum(LOG_LEVELS).default("info"),
    shutdownTimeoutMs: zInt(0, 600_000).default(10_000),
  });
}

type TConfigSchema = ReturnType<typeof buildConfigSchema>;
export type TConfig = z.output<TConfigSchema>;
export type TConfigInput = z.input<TConfigSchema>;

// zod costs more CPU to import than the model server's whole start-up on a busy machine: the
// common valid case is checked by hand (configFastPath) and zod loads only for the rest.
const requireModule = createRequire(import.meta.url);
let zod: TZod | undefined;
const loadZod = (): TZod => (zod ??= (requireModule("zod") as { z: TZod }).z);

let configSchema: TConfigSchema | undefined;
/** The zod schema of the model server's configuration (loads zod on first use). */
export const getConfigSchema = (): TConfigSchema => (configSchema ??= buildConfigSchema(loadZod()));

export class ConfigError extends Error {
  override name = "ConfigError";
}

export const CONFIG_SETTINGS = SETTINGS;

function describeIssue(issue: z.core.$ZodIssue): string {
  const key = issue.path[0] as TSettingKey | undefined;
  const setting = key === undefined ? undefined : SETTINGS[key];
  const where = setting ? `${setting.env} (--${setting.flag})` : issue.path.join(".") || "config";
  return `${where}: ${issue.message}`;
}

/** Validates programmatic options with the same rules and defaults as env vars and flags. */
export function parseConfig(input: TConfigInput): TConfig {
  const fast = configFastPath(input as Record<string, unknown>);
  if (fast !== undefined) return fast as TConfig;
  const result = getConfigSchema().safeParse(input);
  if (!result.success) {
    throw new ConfigError(
      `invalid configuration:\n  ${result.error.issues.map(describeIssue).join("\n  ")}`,
    );
  }
  return result.data;
}

export function formatHelp(): string {
  const rows = Object.values(SETTINGS).map(
    (s) => `  --${s.flag.padEnd(22)} ${s.env.padEnd(32)} ${s.help}`,
  );
  return [
    "usage: kubeserve-inference --model ./iris.onnx [--name iris] [--port 8080] [options]",
    "       kubeserve-inference fetch --url URL --sha256 HEX --out PATH   (see fetch --help)",
    "",
    "  flag                     environment variable             meaning",
    ...rows,
    "  --help                   print this help",
  ].join("\n");
}

/** CLI flags override environment variables; both are checked by the config schema. */
export function loadConfig(
  argv: string[] = process.argv.slice(2),
  env: NodeJS.ProcessEnv = process.env,
): TConfig | "help" {
  const options = Object.fromEntries(
    Object.values(SETTINGS).map((s) => [s.flag, { type: "string" as const }]),
  );
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: argv,
      options: { ...options, help: { type: "boolean" } },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    throw new ConfigError(`${(error as Error).message}\n\n${formatHelp()}`);
  }
  if (values.help === true) return "help";
  const input: Record<string, string> = {};
  for (const [key, setting] of Object.entries(SETTINGS)) {
    const fromFlag = values[setting.flag];
    const fromEnv = env[setting.env];
    const value = typeof fromFlag === "string" ? fromFlag : fromEnv;
    if (value !== undefined && value !== "") input[key] = value;
  }
  return parseConfig(input as TConfigInput);
}

// `kubeserve-inference fetch` (Kubernetes init containers): the token comes from the environment
// only, since argv is readable by every local process.
function buildFetchSchema(z: TZod) {
  return z.object({
    url: z.url({ protocol: /^https?$/ }),
    sha256: z
      .string()
      .regex(SHA256, "64 hex digits")
      .transform((s) => s.toLowerCase()),
    out: z.string().min(1),
    token: z.string().min(1).optional(),
  });
}

export type TFetchConfig = z.output<ReturnType<typeof buildFetchSchema>>;

export function formatFetchHelp(): string {
  return [
    "usage: kubeserve-inference fetch --url URL --sha256 HEX --out PATH",
    "",
    "  downloads URL to PATH (atomically) and exits 0 only when its SHA-256 matches;",
    "  KUBESERVE_MODEL_TOKEN, when set, is sent as Authorization: Bearer <token>",
  ].join("\n");
}

export function loadFetchConfig(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
): TFetchConfig | "help" {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: argv,
      options: {
        url: { type: "string" },
        sha256: { type: "string" },
        out: { type: "string" },
        help: { type: "boolean" },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    throw new ConfigError(`${(error as Error).message}\n\n${formatFetchHelp()}`);
  }
  if (values.help === true) return "help";
  const token = env.KUBESERVE_MODEL_TOKEN;
  const result = buildFetchSchema(loadZod()).safeParse({
    url: values.url,
    sha256: values.sha256,
    out: values.out,
    token: token === "" ? undefined : token,
  });
  if (!result.success) {
    const issues = result.error.issues.map((i) => `--${i.path.join(".")}: ${i.message}`);
    throw new ConfigError(
      `invalid fetch arguments:\n  ${issues.join("\n  ")}\n\n${formatFetchHelp()}`,
    );
  }
  return result.data;
}
