import { hostname } from "node:os";

// pino's JSON line format without pino: importing pino was ~15% of the model server's start-up CPU.
// Same fields in the same order (level, time, pid, hostname, bindings, object, msg), `err` serialized
// like pino's std serializer; supervisors parse these lines (the "listening" port, "model ready").

type TLogFn = {
  (object: object, message?: string): void;
  (message: string): void;
};

/** What the model server logs through; a pino Logger satisfies it too. */
export type TLogger = {
  fatal: TLogFn;
  error: TLogFn;
  warn: TLogFn;
  info: TLogFn;
  debug: TLogFn;
};

const LEVELS = { fatal: 60, error: 50, warn: 40, info: 30, debug: 20, trace: 10 } as const;

function serializeError(error: Error): Record<string, unknown> {
  const out: Record<string, unknown> = {
    type: error.constructor.name,
    message: error.message,
    stack: error.stack,
  };
  for (const [key, value] of Object.entries(error)) if (!(key in out)) out[key] = value;
  if (error.cause instanceof Error) out.cause = serializeError(error.cause);
  return out;
}

function stringify(record: Record<string, unknown>): string {
  try {
    return JSON.stringify(record);
  } catch {
    return JSON.stringify({ level: record.level, time: record.time, msg: record.msg });
  }
}

export function createLogger(level: string, bindings: Record<string, string>): TLogger {
  // A closed stdout (the reader went away) must not crash the server, as with pino.
  if (process.stdout.listenerCount("error") === 0) process.stdout.on("error", () => undefined);
  const threshold = level in LEVELS ? LEVELS[level as keyof typeof LEVELS] : Infinity;
  const base = {
    pid: process.pid,
    hostname: hostname(),
    service: "kubeserve-inference",
    ...bindings,
  };
  const at = (value: number): TLogFn =>
    ((first: object | string, message?: string) => {
      if (value < threshold) return;
      const record: Record<string, unknown> = { level: value, time: Date.now(), ...base };
      if (typeof first === "string") record.msg = first;
      else {
        for (const [key, item] of Object.entries(first))
          record[key] = item instanceof Error ? serializeError(item) : item;
        if (message !== undefined) record.msg = message;
      }
      process.stdout.write(`${stringify(record)}\n`);
    }) as TLogFn;
  return {
    fatal: at(LEVELS.fatal),
    error: at(LEVELS.error),
    warn: at(LEVELS.warn),
    info: at(LEVELS.info),
    debug: at(LEVELS.debug),
  };
}
