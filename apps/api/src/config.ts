import { randomBytes } from "node:crypto";
import { isIP } from "node:net";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { findDefaultHomeDir, formatConfigError } from "@kubeserve/db";
import { z } from "zod";
import {
  type TGatewayConfig,
  type TRuntimeConfig,
  toRuntimeConfig,
  ZRuntimeEnv,
} from "./config/runtime";
import {
  kubernetesConfigProblem,
  type TKubernetesConfig,
  toKubernetesConfig,
  ZKubernetesEnv,
} from "./config/kubernetes";
import { RayConfigError, resolveRayConfig, type TRayConfig, ZRayEnv } from "./config/ray";
import { type TSklearnConfig, toSklearnConfig, ZSklearnEnv } from "./config/sklearn";
import { type TApiStorageConfig, toStorageConfig, ZStorageEnv } from "./config/storage";
import { type TUploadConfig, toUploadConfig, ZUploadEnv } from "./config/uploads";

// The only module of the API that reads the environment. Every variable is listed in the README.

const ZBoolean = z
  .enum(["true", "false", "1", "0"], { error: "must be true or false" })
  .transform((value) => value === "true" || value === "1");

const ZPort = z.coerce
  .number({ error: "must be a port number" })
  .int("must be a whole number")
  .min(0, "must be between 0 and 65535")
  .max(65535, "must be between 0 and 65535");

function positiveInt(what: string) {
  return z.coerce
    .number({ error: `must be ${what}` })
    .int(`must be ${what}`)
    .positive(`must be ${what}`);
}

const proxyNames = new Set(["loopback", "linklocal", "uniquelocal"]);

function isProxyAddress(entry: string): boolean {
  if (proxyNames.has(entry)) return true;
  const [address = "", prefix, ...rest] = entry.split("/");
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  const bits = Number(prefix);
  return /^\d{1,3}$/.test(prefix) && bits <= (family === 4 ? 32 : 128);
}

const trustProxyRule =
  "must be false, the number of proxies in front of the API (e.g. 1), or a comma-separated list of " +
  "their addresses or CIDR ranges (e.g. 10.0.0.0/8,loopback); `true` would trust every hop and let any " +
  "client forge X-Forwarded-For";

// Fastify takes the same three forms: false, a hop count, or addresses (proxy-addr syntax).
const ZTrustProxy = z.string().transform((value, ctx): false | number | string[] => {
  const trimmed = value.trim();
  if (trimmed === "false" || trimmed === "0") return false;
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const entries = trimmed.split(",").map((entry) => entry.trim());
  if (entries.length > 0 && entries.every(isProxyAddress)) return entries;
  ctx.addIssue({ code: "custom", message: trustProxyRule });
  return z.NEVER;
});

const ZBaseEnv = z.object({
  NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
  API_HOST: z.string().min(1).default("127.0.0.1"),
  API_PORT: ZPort.default(4000),
  API_PUBLIC_URL: z.url({ error: "must be an absolute http(s) URL" }).optional(),
  API_MAX_BODY_BYTES: positiveInt("a positive number of bytes").default(1_048_576),
  TRPC_MAX_BATCH_SIZE: positiveInt("a positive whole number").default(20),
  DATABASE_URL: z
    .string()
    .regex(
      /^postgres(ql)?:\/\//,
      "must be a postgresql:// URL (leave it unset for embedded PGlite)",
    )
    .optional(),
  DATABASE_POOL_SIZE: positiveInt("a positive whole number").default(10),
  DATABASE_WAIT_SECONDS: positiveInt("a positive number of seconds").default(30),
  KUBESERVE_HOME: z.string().min(1).optional(),
  AUTH_SECRET: z
    .string()
    .min(32, "must be at least 32 characters (e.g. `openssl rand -base64 48`)")
    .optional(),
  AUTH_TOKEN_TTL_SECONDS: positiveInt("a positive number of seconds").default(43_200),
  AUTH_ALLOW_REGISTRATION: ZBoolean.default(true),
  LOGIN_MAX_FAILURES_PER_ACCOUNT: positiveInt("a positive whole number").default(10),
  LOGIN_MAX_FAILURES_PER_IP: positiveInt("a positive whole number").default(50),
  LOGIN_WINDOW_SECONDS: positiveInt("a positive number of seconds").default(900),
  LOGIN_MAX_FAILURES_PER_DEVICE: positiveInt("a positive whole number").default(5),
  LOGIN_DEVICE_TTL_DAYS: positiveInt("a positive number of days").default(180),
  REGISTRATION_MAX_PER_IP: positiveInt("a positive whole number").default(10),
  REGISTRATION_WINDOW_SECONDS: positiveInt("a positive number of seconds").default(3600),
  WEB_ORIGIN: z
    .string()
    .default("http://localhost:3000")
    .transform((value) =>
      value
        .split(",")
        .map((origin) => origin.trim())
        .filter(Boolean),
    )
    .pipe(
      z.array(
        z
          .string()
          .regex(
            /^https?:\/\/[^/\s]+$/,
            "must be a comma-separated list of origins like http://localhost:3000",
          ),
      ),
    ),
  TRUST_PROXY: ZTrustProxy.default(false),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  LOG_REQUESTS: ZBoolean.default(true),
  SEED_DEMO_EMAIL: z
    .email({ error: "must be an email address" })
    .default("demo@kubeserve.local")
    .transform((email) => email.toLowerCase()),
  SEED_DEMO_PASSWORD: z
    .string()
    .min(10, "must be at least 10 characters")
    .default("kubeserve-demo"),
});

// Each section's variables live beside the code that maps them (src/config/*.ts); only this file reads them.
const ZEnv = ZBaseEnv.extend(ZStorageEnv.shape)
  .extend(ZRuntimeEnv.shape)
  .extend(ZUploadEnv.shape)
  .extend(ZKubernetesEnv.shape)
  .extend(ZRayEnv.shape)
  .extend(ZSklearnEnv.shape);

export type TApiConfig = {
  nodeEnv: "development" | "test" | "production";
  host: string;
  port: number;
  publicUrl: string | undefined;
  /** Largest request body read on the public port (routes may set their own). */
  maxBodyBytes: number;
  trpcMaxBatchSize: number;
  homeDir: string;
  database: {
    url: string | undefined;
    pgliteDir: string;
    poolSize: number;
    waitSeconds: number;
  };
  auth: {
    secret: string;
    tokenTtlSeconds: number;
    allowRegistration: boolean;
    maxFailuresPerAccount: number;
    maxFailuresPerIp: number;
    maxFailuresPerDevice: number;
    loginWindowSeconds: number;
    deviceTtlSeconds: number;
    maxRegistrationsPerIp: number;
    registrationWindowSeconds: number;
  };
  webOrigins: string[];
  trustProxy: false | number | string[];
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  /** One info line per HTTP request (method, path, status, ms); `pnpm start` turns it off. */
  isLoggingRequests: boolean;
  seed: { email: string; password: string };
  storage: TApiStorageConfig;
  runtime: TRuntimeConfig;
  gateway: TGatewayConfig;
  uploads: TUploadConfig;
  kubernetes: TKubernetesConfig;
  ray: TRayConfig;
  sklearn: TSklearnConfig;
};

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** An embedded install keeps one generated secret on disk so restarts keep users signed in. */
function readOrCreateSecret(homeDir: string): string {
  const file = path.join(homeDir, "auth-secret");
  try {
    const existing = readFileSync(file, "utf8").trim();
    if (existing.length >= 32) return existing;
  } catch {
    // First start: no secret yet.
  }
  mkdirSync(homeDir, { recursive: true });
  const secret = randomBytes(48).toString("base64url");
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

/** An empty variable (as compose files often set) means "use the default", not "invalid". */
function dropEmpty(env: NodeJS.ProcessEnv): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ""));
}

export function readApiConfig(env: NodeJS.ProcessEnv = process.env): TApiConfig {
  const parsed = ZEnv.safeParse(dropEmpty(env));
  if (!parsed.success) throw new ConfigError(formatConfigError(parsed.error));
  const e = parsed.data;
  if (e.NODE_ENV === "production" && !e.AUTH_SECRET) {
    throw new ConfigError(
      "Invalid configuration:\n  AUTH_SECRET: required when NODE_ENV=production (at least 32 characters), " +
        "so every API replica signs and verifies the same tokens",
    );
  }
  const kubernetesProblem = kubernetesConfigProblem(e);
  if (kubernetesProblem) throw new ConfigError(`Invalid configuration:\n  ${kubernetesProblem}`);
  const homeDir = path.resolve(e.KUBESERVE_HOME ?? findDefaultHomeDir());
  const storage = toStorageConfig(e, homeDir);
  if ("missing" in storage) {
    throw new ConfigError(
      `Invalid configuration:\n  ${storage.missing.join(", ")}: required when STORAGE_DRIVER=s3`,
    );
  }
  const runtimeSections = toRuntimeConfig(e, homeDir);
  return {
    nodeEnv: e.NODE_ENV,
    host: e.API_HOST,
    port: e.API_PORT,
    publicUrl: e.API_PUBLIC_URL,
    maxBodyBytes: e.API_MAX_BODY_BYTES,
    trpcMaxBatchSize: e.TRPC_MAX_BATCH_SIZE,
    homeDir,
    database: {
      url: e.DATABASE_URL,
      pgliteDir: path.join(homeDir, "pgdata"),
      poolSize: e.DATABASE_POOL_SIZE,
      waitSeconds: e.DATABASE_WAIT_SECONDS,
    },
    auth: {
      secret: e.AUTH_SECRET ?? readOrCreateSecret(homeDir),
      tokenTtlSeconds: e.AUTH_TOKEN_TTL_SECONDS,
      allowRegistration: e.AUTH_ALLOW_REGISTRATION,
      maxFailuresPerAccount: e.LOGIN_MAX_FAILURES_PER_ACCOUNT,
      maxFailuresPerIp: e.LOGIN_MAX_FAILURES_PER_IP,
      maxFailuresPerDevice: e.LOGIN_MAX_FAILURES_PER_DEVICE,
      loginWindowSeconds: e.LOGIN_WINDOW_SECONDS,
      deviceTtlSeconds: e.LOGIN_DEVICE_TTL_DAYS * 86_400,
      maxRegistrationsPerIp: e.REGISTRATION_MAX_PER_IP,
      registrationWindowSeconds: e.REGISTRATION_WINDOW_SECONDS,
    },
    webOrigins: e.WEB_ORIGIN,
    trustProxy: e.TRUST_PROXY,
    logLevel: e.LOG_LEVEL,
    isLoggingRequests: e.LOG_REQUESTS,
    seed: { email: e.SEED_DEMO_EMAIL, password: e.SEED_DEMO_PASSWORD },
    storage,
    ...runtimeSections,
    uploads: toUploadConfig(e),
    kubernetes: toKubernetesConfig(e),
    ray: readRayConfig(e),
    sklearn: toSklearnConfig(e, homeDir, runtimeSections.runtime.isolation?.uidBase),
  };
}

/** The API is a Ray client pod; a conflict between Ray variables stops it with both names. */
function readRayConfig(e: z.infer<typeof ZEnv>): TRayConfig {
  try {
    const ray = resolveRayConfig(e, "client");
    return { ...ray, artifactOrigin: ray.artifactOrigin ?? e.API_PUBLIC_URL?.replace(/\/+$/, "") };
  } catch (error) {
    if (error instanceof RayConfigError) {
      throw new ConfigError(`Invalid configuration:\n  ${error.message}`);
    }
    throw error;
  }
}
