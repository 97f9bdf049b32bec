"use client";

import type { RouterOutputs } from "@kubeserve/api";
import {
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";

import { isIsolatedPoint, type TChartRow } from "~/lib/chart-gaps";

type TPoint = RouterOutputs["deployment"]["metrics"]["points"][number];
type TLine = { key: keyof TPoint; name: string; color: string };

const time = new Intl.DateTimeFormat("en", {
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hour12: false,
});

function formatValue(value: unknown): string {
  const n = Number(value);
  return Number.isFinite(n) ? (n >= 100 ? n.toFixed(0) : n.toFixed(2)) : "—";
}

/**
 * One small time series chart; the axes take the text colour so dark mode needs nothing extra. The x axis is
 * time (not one slot a sample) and the null rows of lib/chart-gaps.ts break the line where samples stop.
 */
export default function MetricsChart({
  rows,
  lines,
}: {
  rows: TChartRow<TPoint>[];
  lines: readonly TLine[];
}) {
  return (
    <div className="h-44 w-full text-slate-500 dark:text-slate-400">
      <ResponsiveContainer width="100%" height="100%">
        <LineChart data={rows} margin={{ top: 6, right: 8, bottom: 0, left: -12 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="currentColor" strokeOpacity={0.15} />
          <XAxis
            dataKey="t"
            type="number"
            scale="time"
            domain={["dataMin", "dataMax"]}
            tickFormatter={(t: number) => time.format(new Date(t))}
            tick={{ fontSize: 11, fill: "currentColor" }}
            stroke="currentColor"
            strokeOpacity={0.4}
            minTickGap={32}
          />
          <YAxis
            tick={{ fontSize: 11, fill: "currentColor" }}
            stroke="currentColor"
            strokeOpacity={0.4}
            width={44}
            allowDecimals
          />
          <Tooltip
            labelFormatter={(t) => time.format(new Date(Number(t)))}
            formatter={(value) => formatValue(value)}
            contentStyle={{ fontSize: 12 }}
          />
          <Legend wrapperStyle={{ fontSize: 11 }} iconSize={8} />
          {lines.map((line) => (
            <Line
              key={line.key}
              type="linear"
              dataKey={line.key}
              name={line.name}
              stroke={line.color}
              strokeWidth={2}
              // A lone sample between idle or missing ones has no segment to draw: it gets a dot.
              dot={({ index, cx, cy, key }) =>
                isIsolatedPoint(rows, index, line.key) && cx != null && cy != null ? (
                  <circle key={key} cx={cx} cy={cy} r={2.5} fill={line.color} />
                ) : null
              }
              connectNulls={false}
              isAnimationActive={false}
            />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}
