import { pino, type Logger } from "pino";

export function createLogger(level: string, bindings: Record<string, string>): Logger {
  return pino({ level, base: { service: "kubeserve-inference", ...bindings } });
}
