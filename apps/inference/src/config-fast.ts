/**
 * The hand-written twin of the config schema for input that is certainly valid: it returns the
 * same output as zod would, or undefined whenever zod must decide (any doubt, any error), so
 * error messages always come from zod. config-fast.test.ts compares both on many inputs.
 */

type TRule =
  | { kind: "string"; min?: number; pattern?: RegExp; lower?: boolean; fallback?: string }
  | { kind: "int" | "number"; min: number; max: number; fallback?: number }
  | { kind: "enum"; values: readonly string[]; fallback?: string }
  | { kind: "bool"; fallback: boolean }
  | { kind: "zod" };

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

const RULES: Record<string, TRule> = {
  model: { kind: "string", min: 1 },
  name: { kind: "string", pattern: NAME },
  version: { kind: "string", pattern: NAME, fallback: "1" },
  sha256: { kind: "string", pattern: /^[0-9a-fA-F]{64}$/, lower: true },
  modelToken: { kind: "string", min: 1 },
  deployment: { kind: "string", fallback: "" },
  host: { kind: "string", min: 1, fallback: "0.0.0.0" },
  port: { kind: "int", min: 0, max: 65535, fallback: 8080 },
  authToken: { kind: "string", pattern: /^[\x21-\x7e]{16,}$/ },
  publicHealth: { kind: "bool", fallback: false },
  maxBodyBytes: { kind: "int", min: 1024, max: 2 ** 31, fallback: 32 * 1024 * 1024 },
  batching: { kind: "enum", values: ["auto", "on", "off"], fallback: "auto" },
  maxBatchSize: { kind: "int", min: 1, max: 65536, fallback: 32 },
  maxQueueDelayMs: { kind: "number", min: 0, max: 1000, fallback: 1 },
  maxQueueSize: { kind: "int", min: 1, max: 1_000_000, fallback: 1024 },
  maxQueueBytes: { kind: "int", min: 1024, max: 2 ** 40, fallback: 256 * 1024 * 1024 },
  workers: { kind: "int", min: 1, max: 64, fallback: 1 },
  intraOpThreads: { kind: "int", min: 1, max: 256, fallback: 1 },
  interOpThreads: { kind: "int", min: 1, max: 256, fallback: 1 },
  v1Output: { kind: "string", min: 1 },
  cacheDir: { kind: "string", min: 1, fallback: ".kubeserve/model-cache" },
  // URL rules are zod's own: left to it.
  s3Endpoint: { kind: "zod" },
  s3AccessKey: { kind: "string", min: 1 },
  s3SecretKey: { kind: "string", min: 1 },
  s3Region: { kind: "string", min: 1, fallback: "us-east-1" },
  logLevel: {
    kind: "enum",
    values: ["fatal", "error", "warn", "info", "debug", "trace", "silent"],
    fallback: "info",
  },
  shutdownTimeoutMs: { kind: "int", min: 0, max: 600_000, fallback: 10_000 },
};

const DIGITS = /^\d{1,15}$/;
const DECIMAL = /^\d{1,15}(\.\d{1,15})?$/;
const UNDECIDED = Symbol("undecided");

function toNumber(value: unknown, isInt: boolean): number | typeof UNDECIDED {
  if (typeof value === "number") return Number.isFinite(value) ? value : UNDECIDED;
  if (typeof value === "string" && (isInt ? DIGITS : DECIMAL).test(value)) return Number(value);
  return UNDECIDED;
}

function check(rule: TRule, value: unknown): unknown {
  switch (rule.kind) {
    case "string":
      if (typeof value !== "string") return UNDECIDED;
      if (rule.min !== undefined && value.length < rule.min) return UNDECIDED;
      if (rule.pattern && !rule.pattern.test(value)) return UNDECIDED;
      return rule.lower ? value.toLowerCase() : value;
    case "int":
    case "number": {
      const n = toNumber(value, rule.kind === "int");
      if (n === UNDECIDED || n < rule.min || n > rule.max) return UNDECIDED;
      return rule.kind === "int" && !Number.isInteger(n) ? UNDECIDED : n;
    }
    case "enum":
      return typeof value === "string" && rule.values.includes(value) ? value : UNDECIDED;
    case "bool":
      if (typeof value === "boolean") return value;
      return value === "true" || value === "false" ? value === "true" : UNDECIDED;
    case "zod":
      return UNDECIDED;
  }
}

/** The parsed config when the input is certainly valid, else undefined (ask zod). */
export function configFastPath(
  input: Record<string, unknown>,
): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  for (const [key, rule] of Object.entries(RULES)) {
    const isPresent = Object.hasOwn(input, key);
    const value = input[key];
    if (value === undefined) {
      if (rule.kind !== "zod" && "fallback" in rule && rule.fallback !== undefined) {
        out[key] = rule.fallback;
      } else if (key === "model") {
        return undefined;
      } else if (isPresent) {
        // zod keeps an optional key given as undefined
        out[key] = undefined;
      }
      continue;
    }
    const checked = check(rule, value);
    if (checked === UNDECIDED) return undefined;
    out[key] = checked;
  }
  return out;
}
