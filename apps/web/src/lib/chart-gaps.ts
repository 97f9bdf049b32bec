// Recharts joins consecutive points with a line; across a stretch without samples (a stopped deployment,
// an API restart) that line invents data. A null row inside the stretch breaks it (connectNulls={false}).

export type TChartRow<T> = { [K in keyof T]: T[K] | null } & { t: number };

/** More than this many sample intervals between two points is a gap, not scrape jitter. */
export const gapFactor = 2.5;

function nullRow<T extends { at: string }>(like: T, t: number): TChartRow<T> {
  const row: Record<string, unknown> = {};
  for (const key of Object.keys(like)) row[key] = null;
  return { ...(row as { [K in keyof T]: null }), at: new Date(t).toISOString(), t };
}

/**
 * The samples with their time as `t` (ms, for a time axis), and a null row wherever the interval jumps;
 * with `now`, one more after the last sample if it is older than a gap, so the line stops there.
 */
export function insertGaps<T extends { at: string }>(
  points: readonly T[],
  intervalSeconds: number,
  now?: number,
): TChartRow<T>[] {
  const maxStepMs = intervalSeconds * 1000 * gapFactor;
  const rows: TChartRow<T>[] = [];
  let previous: TChartRow<T> | undefined;
  for (const point of points) {
    const row = { ...point, t: Date.parse(point.at) } as TChartRow<T>;
    if (previous && row.t - previous.t > maxStepMs) {
      rows.push(nullRow(point, Math.round((previous.t + row.t) / 2)));
    }
    rows.push(row);
    previous = row;
  }
  const last = points.at(-1);
  if (last && previous && now !== undefined && now - previous.t > maxStepMs) {
    rows.push(nullRow(last, now));
  }
  return rows;
}

/**
 * Whether row `index` has a value for `key` and neither neighbour has one: without connectNulls such a
 * sample (latency of the one busy interval between idle ones) draws no segment, so the chart needs a dot.
 */
export function isIsolatedPoint<T>(
  rows: readonly TChartRow<T>[],
  index: number,
  key: keyof T,
): boolean {
  const hasValue = (i: number) => typeof rows[i]?.[key] === "number";
  return hasValue(index) && !hasValue(index - 1) && !hasValue(index + 1);
}
