const units = ["B", "KB", "MB", "GB", "TB"] as const;

/** 1536 → "1.5 KB" (powers of 1024, as file managers show sizes). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return "—";
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toFixed(digits).replace(/\.0+$|(\.\d*[1-9])0+$/, "$1")} ${units[unit]}`;
}

// Built on first use: an Intl formatter costs milliseconds to construct, on every page that imports this.
let relative: Intl.RelativeTimeFormat | undefined;
let absolute: Intl.DateTimeFormat | undefined;
const steps: [Intl.RelativeTimeFormatUnit, number][] = [
  ["second", 60],
  ["minute", 60],
  ["hour", 24],
  ["day", 30],
  ["month", 12],
  ["year", Number.POSITIVE_INFINITY],
];

/** "5 minutes ago", "yesterday"; under ten seconds "just now". */
export function formatRelative(iso: string, now = Date.now()): string {
  let delta = (Date.parse(iso) - now) / 1000;
  if (Math.abs(delta) < 10) return "just now";
  relative ??= new Intl.RelativeTimeFormat("en", { numeric: "auto" });
  for (const [unit, size] of steps) {
    if (Math.abs(delta) < size) return relative.format(Math.round(delta), unit);
    delta /= size;
  }
  return relative.format(Math.round(delta), "year");
}

export function formatDateTime(iso: string): string {
  absolute ??= new Intl.DateTimeFormat("en", { dateStyle: "medium", timeStyle: "short" });
  return absolute.format(new Date(iso));
}

/** A tensor shape with -1 shown as the batch/free dimension: [-1, 4] → "[n, 4]". */
export function formatShape(shape: number[]): string {
  return `[${shape.map((dim) => (dim < 0 ? "n" : String(dim))).join(", ")}]`;
}

/**
 * The gateway measures cold start from create/start to the first answered prediction, so a running
 * deployment nobody has called yet has none: say so rather than a bare dash.
 */
export function formatColdStart(ms: number | null, isRunning: boolean): string {
  if (ms === null) return isRunning ? "at first prediction" : "—";
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}
