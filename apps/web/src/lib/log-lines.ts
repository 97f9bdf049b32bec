// The model servers (apps/inference, runtimes/sklearn) write pino-shaped JSON lines; the logs panel shows
// them as "time level message key=value"; anything else (a Python traceback, a shell line) as it came.

export type TLogLevel = "trace" | "debug" | "info" | "warn" | "error" | "fatal";

export type TLogLine =
  | { isStructured: false; text: string }
  | {
      isStructured: true;
      time: string | undefined;
      level: TLogLevel | undefined;
      message: string;
      fields: readonly (readonly [string, string])[];
    };

const levelNumbers: readonly [number, TLogLevel][] = [
  [60, "fatal"],
  [50, "error"],
  [40, "warn"],
  [30, "info"],
  [20, "debug"],
  [10, "trace"],
];

const levelNames: Record<string, TLogLevel> = {
  trace: "trace",
  debug: "debug",
  info: "info",
  warn: "warn",
  warning: "warn",
  error: "error",
  fatal: "fatal",
  critical: "fatal",
};

// The same on every line of one replica (who wrote it, where): they would only push the message right.
const hiddenKeys = new Set([
  "level",
  "time",
  "msg",
  "message",
  "pid",
  "hostname",
  "service",
  "v",
  "model",
  "version",
]);

const maxFieldLength = 160;

// Colour codes some libraries write even to a pipe (onnxruntime's warnings): drawn as "␛[0;93m" otherwise.
// eslint-disable-next-line no-control-regex -- matching the ESC control character is the point
const ansiEscape = /\u001b\[[0-9;?]*[ -/]*[@-~]/g;

/** The line without terminal colour codes. */
export function stripAnsi(line: string): string {
  return line.includes("\u001b") ? line.replace(ansiEscape, "") : line;
}

function readLevel(value: unknown): TLogLevel | undefined {
  if (typeof value === "number") return levelNumbers.find(([n]) => value >= n)?.[1];
  if (typeof value === "string") return levelNames[value.toLowerCase()];
  return undefined;
}

function readTime(value: unknown, timeZone: string | undefined): string | undefined {
  const ms =
    typeof value === "number" ? value : typeof value === "string" ? Date.parse(value) : NaN;
  if (!Number.isFinite(ms)) return undefined;
  return new Intl.DateTimeFormat("en-GB", {
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    fractionalSecondDigits: 3,
    hourCycle: "h23",
    timeZone,
  }).format(new Date(ms));
}

function showValue(value: unknown): string {
  // pino's err serializer: the message says what went wrong; the stack is in the raw logs.
  if (value !== null && typeof value === "object" && "message" in value) {
    const { type, message } = value as { type?: unknown; message?: unknown };
    return typeof type === "string" ? `${type}: ${String(message)}` : String(message);
  }
  // A list of names (the model server's inputs/outputs) reads better bare than as escaped JSON.
  const isNameList =
    Array.isArray(value) &&
    value.every((item) => typeof item === "string" || typeof item === "number");
  const text =
    typeof value === "string" ? value : isNameList ? value.join(",") : JSON.stringify(value);
  return text.length > maxFieldLength ? `${text.slice(0, maxFieldLength - 1)}…` : text;
}

function quoteIfNeeded(text: string): string {
  return /^[^\s"=]*$/.test(text) && text !== "" ? text : JSON.stringify(text);
}

/** One log line, parsed when it is a JSON object with a message; `timeZone` is for tests (default: local). */
export function parseLogLine(raw: string, timeZone?: string): TLogLine {
  const line = stripAnsi(raw);
  const trimmed = line.trim();
  if (!trimmed.startsWith("{")) return { isStructured: false, text: line };
  let record: unknown;
  try {
    record = JSON.parse(trimmed);
  } catch {
    return { isStructured: false, text: line };
  }
  if (record === null || typeof record !== "object" || Array.isArray(record)) {
    return { isStructured: false, text: line };
  }
  const entries = record as Record<string, unknown>;
  const message = entries.msg ?? entries.message;
  if (typeof message !== "string") return { isStructured: false, text: line };
  const fields = Object.entries(entries)
    .filter(([key, value]) => !hiddenKeys.has(key) && value !== undefined)
    .map(([key, value]) => [key, quoteIfNeeded(showValue(value))] as const);
  return {
    isStructured: true,
    time: readTime(entries.time, timeZone),
    level: readLevel(entries.level),
    message,
    fields,
  };
}

/** The same line as plain text: what a copy of the panel gives. */
export function formatLogLine(line: string, timeZone?: string): string {
  const parsed = parseLogLine(line, timeZone);
  if (!parsed.isStructured) return parsed.text;
  return [
    parsed.time,
    parsed.level?.toUpperCase().padEnd(5),
    parsed.message,
    ...parsed.fields.map(([key, value]) => `${key}=${value}`),
  ]
    .filter((part) => part !== undefined)
    .join(" ");
}
