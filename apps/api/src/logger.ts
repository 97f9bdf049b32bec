import { pino, type Logger } from "pino";
import type { TApiConfig } from "./config";

export function createLogger(config: Pick<TApiConfig, "logLevel">): Logger {
  return pino({
    level: config.logLevel,
    base: { service: "kubeserve-api" },
    // Credentials never reach the logs, even at debug level.
    redact: {
      paths: ["req.headers.authorization", "req.headers['x-api-key']", "*.password"],
      remove: true,
    },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
