import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";

// Runtime, gateway and metrics sections of the API's environment; `config.ts` is still the only reader.

function count(what: string) {
  return z.coerce
    .number({ error: `must be ${what}` })
    .int(`must be ${what}`)
    .min(0, `must be ${what}`);
}

function positive(what: string) {
  return z.coerce
    .number({ error: `must be ${what}` })
    .int(`must be ${what}`)
    .positive(`must be ${what}`);
}

const ZPort = z.coerce
  .number({ error: "must be a port number" })
  .int("must be a whole number")
  .min(0, "must be between 0 and 65535")
  .max(65535, "must be between 0 and 65535");

/** Deployment uids are drawn from this many ids above RUNTIME_ISOLATION_UID_BASE (the base: the upload sandbox). */
export const isolationUidRange = 2 ** 28;

export const ZRuntimeEnv = z.object({
  RUNTIME_DEFAULT: z
    .enum(["local", "kubernetes", "ray"], { error: "must be local, kubernetes or ray" })
    .default("local"),
  RUNTIME_DIR: z.string().min(1).optional(),
  RUNTIME_INFERENCE_CLI: z.string().min(1).optional(),
  RUNTIME_MAX_REPLICAS: positive("a positive whole number").default(8),
  RUNTIME_READY_TIMEOUT_SECONDS: positive("a positive number of seconds").default(60),
  RUNTIME_MAX_RESTARTS: count("a whole number ≥ 0").default(3),
  RUNTIME_RESTART_BACKOFF_MS: positive("a positive number of milliseconds").default(250),
  RUNTIME_STOP_GRACE_SECONDS: positive("a positive number of seconds").default(10),
  RUNTIME_RECONCILE_SECONDS: positive("a positive number of seconds").default(10),
  RUNTIME_WATCHDOG_MS: positive("a positive number of milliseconds").default(1000),
  RUNTIME_ISOLATION: z.enum(["auto", "off"], { error: "must be auto or off" }).default("auto"),
  RUNTIME_ISOLATION_UID_BASE: positive("a positive uid")
    .max(4_294_967_294 - isolationUidRange, "must leave room for 2^28 uids below 2^32 - 1")
    .default(1_600_000_000),
  AUTOSCALE_INTERVAL_SECONDS: positive("a positive number of seconds").default(5),
  GATEWAY_TIMEOUT_MS: positive("a positive number of milliseconds").default(60_000),
  GATEWAY_MAX_BODY_BYTES: positive("a positive number of bytes").default(33_554_432),
  GATEWAY_RATE_LIMIT_RPS: positive("a positive number of requests per second").default(1000),
  GATEWAY_RATE_LIMIT_BURST: positive("a positive whole number").default(2000),
  GATEWAY_KEY_CACHE_SECONDS: positive("a positive number of seconds").default(60),
  GATEWAY_REVOCATION: z
    .enum(["listen", "poll"], { error: "must be listen or poll" })
    .default("listen"),
  METRICS_HOST: z.string().min(1).default("127.0.0.1"),
  METRICS_PORT: ZPort.default(9464),
  METRICS_SCRAPE_SECONDS: positive("a positive number of seconds").default(5),
  PROMETHEUS_URL: z
    .url({ protocol: /^https?$/, error: "must be an http(s) URL such as http://prometheus:9090" })
    .optional(),
  PROMETHEUS_TIMEOUT_MS: positive("a positive number of milliseconds").default(5000),
});

export type TRuntimeEnv = z.infer<typeof ZRuntimeEnv>;

export type TRuntimeConfig = {
  defaultRuntime: "local" | "kubernetes" | "ray";
  dir: string;
  inferenceCli: string;
  maxReplicas: number;
  readyTimeoutMs: number;
  maxRestarts: number;
  restartBackoffMs: number;
  stopGraceMs: number;
  reconcileMs: number;
  watchdogMs: number;
  autoscaleIntervalMs: number;
  /** set when replicas run under a uid of their own (the API is root and RUNTIME_ISOLATION=auto) */
  isolation: { uidBase: number; homeDir: string } | undefined;
};

export type TGatewayConfig = {
  timeoutMs: number;
  maxBodyBytes: number;
  rateLimitRps: number;
  rateLimitBurst: number;
  keyCacheMs: number;
  revocation: "listen" | "poll";
  metricsHost: string;
  metricsPort: number;
  scrapeMs: number;
  /** Where deployment.metrics reads kubernetes and ray deployments' series (PROMETHEUS_URL), if set. */
  prometheusUrl: string | undefined;
  prometheusTimeoutMs: number;
};

/** The model server's built CLI in this checkout (apps/inference/dist/cli.js), found from this file upwards. */
function findInferenceCli(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, "apps", "inference", "dist", "cli.js");
    if (existsSync(path.join(dir, "apps", "inference", "package.json"))) return candidate;
    dir = path.dirname(dir);
  }
  return path.resolve("apps/inference/dist/cli.js");
}

export function toRuntimeConfig(
  e: TRuntimeEnv,
  homeDir: string,
): { runtime: TRuntimeConfig; gateway: TGatewayConfig } {
  return {
    runtime: {
      defaultRuntime: e.RUNTIME_DEFAULT,
      dir: path.resolve(e.RUNTIME_DIR ?? path.join(homeDir, "runtime")),
      inferenceCli: path.resolve(e.RUNTIME_INFERENCE_CLI ?? findInferenceCli()),
      maxReplicas: e.RUNTIME_MAX_REPLICAS,
      readyTimeoutMs: e.RUNTIME_READY_TIMEOUT_SECONDS * 1000,
      maxRestarts: e.RUNTIME_MAX_RESTARTS,
      restartBackoffMs: e.RUNTIME_RESTART_BACKOFF_MS,
      stopGraceMs: e.RUNTIME_STOP_GRACE_SECONDS * 1000,
      reconcileMs: e.RUNTIME_RECONCILE_SECONDS * 1000,
      watchdogMs: e.RUNTIME_WATCHDOG_MS,
      autoscaleIntervalMs: e.AUTOSCALE_INTERVAL_SECONDS * 1000,
      isolation:
        e.RUNTIME_ISOLATION === "auto" && process.getuid?.() === 0
          ? { uidBase: e.RUNTIME_ISOLATION_UID_BASE, homeDir }
          : undefined,
    },
    gateway: {
      timeoutMs: e.GATEWAY_TIMEOUT_MS,
      maxBodyBytes: e.GATEWAY_MAX_BODY_BYTES,
      rateLimitRps: e.GATEWAY_RATE_LIMIT_RPS,
      rateLimitBurst: e.GATEWAY_RATE_LIMIT_BURST,
      keyCacheMs: e.GATEWAY_KEY_CACHE_SECONDS * 1000,
      revocation: e.GATEWAY_REVOCATION,
      metricsHost: e.METRICS_HOST,
      metricsPort: e.METRICS_PORT,
      scrapeMs: e.METRICS_SCRAPE_SECONDS * 1000,
      prometheusUrl: e.PROMETHEUS_URL?.replace(/\/+$/, ""),
      prometheusTimeoutMs: e.PROMETHEUS_TIMEOUT_MS,
    },
  };
}
