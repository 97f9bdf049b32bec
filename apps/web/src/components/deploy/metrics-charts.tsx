"use client";

import { Card, ErrorNotice } from "@kubeserve/ui";
import { useQuery } from "@tanstack/react-query";
import dynamic from "next/dynamic";
import { useMemo, useState } from "react";
import { readApiErrorMessage } from "~/lib/api-error";
import { insertGaps } from "~/lib/chart-gaps";
import { useTRPC } from "~/trpc/react";

// Recharts is the heaviest thing on the page: loaded after first paint, in its own chunk.
const MetricsChart = dynamic(() => import("./metrics-chart"), {
  ssr: false,
  loading: () => <div className="h-44" />,
});

const windows = { "5m": "5 min", "15m": "15 min", "1h": "1 hour" } as const;
type TWindow = keyof typeof windows;

const charts = [
  {
    title: "Requests / s",
    lines: [
      { key: "requestsPerSecond", name: "requests", color: "#6366f1" },
      { key: "predictionsPerSecond", name: "predictions", color: "#14b8a6" },
    ],
  },
  {
    title: "Latency (ms)",
    lines: [
      { key: "p50Ms", name: "p50", color: "#0ea5e9" },
      { key: "p99Ms", name: "p99", color: "#f59e0b" },
    ],
  },
  { title: "Errors / s", lines: [{ key: "errorsPerSecond", name: "errors", color: "#f43f5e" }] },
  {
    title: "Replicas",
    lines: [
      { key: "replicas", name: "ready", color: "#10b981" },
      { key: "inFlight", name: "in flight", color: "#8b5cf6" },
    ],
  },
] as const;

/** deployment.metrics (the API's own scrape of its replicas): tenant-scoped, so everyone gets them. */
export function MetricsCharts({ deploymentId }: { deploymentId: string }) {
  const trpc = useTRPC();
  const [window, setWindow] = useState<TWindow>("15m");
  const metrics = useQuery(
    trpc.deployment.metrics.queryOptions(
      { id: deploymentId, window },
      {
        refetchInterval: (query) => (query.state.data?.intervalSeconds ?? 10) * 1000,
        refetchIntervalInBackground: false,
      },
    ),
  );
  const { data, dataUpdatedAt } = metrics;
  const points = data?.points ?? [];
  // The answer's own time ends the line where samples stopped (a stopped deployment), not a clock read.
  const rows = useMemo(
    () => insertGaps(data?.points ?? [], data?.intervalSeconds ?? 10, dataUpdatedAt),
    [data, dataUpdatedAt],
  );
  return (
    <Card
      title="Metrics"
      actions={
        <div role="radiogroup" aria-label="Window" className="flex gap-1">
          {Object.entries(windows).map(([value, label]) => (
            <button
              key={value}
              type="button"
              role="radio"
              aria-checked={window === value}
              onClick={() => setWindow(value as TWindow)}
              className="rounded px-2 py-1 text-xs font-medium text-slate-600 aria-checked:bg-slate-900 aria-checked:text-white focus-visible:outline-2 focus-visible:outline-indigo-500 dark:text-slate-300 dark:aria-checked:bg-slate-100 dark:aria-checked:text-slate-900"
            >
              {label}
            </button>
          ))}
        </div>
      }
    >
      {metrics.error ? <ErrorNotice message={readApiErrorMessage(metrics.error)} /> : null}
      {metrics.data && points.length === 0 ? (
        <p className="mb-3 text-sm text-slate-500">
          No samples in this window yet: the API reads its replicas every{" "}
          {metrics.data.intervalSeconds} s once one is ready.
        </p>
      ) : null}
      <div className="grid gap-4 sm:grid-cols-2" data-testid="metrics-charts">
        {charts.map((chart) => (
          // overflow-hidden: recharts re-measures on the next ResizeObserver tick, so after a resize a chart
          // briefly keeps its old width; clipped, it never widens the page.
          <figure key={chart.title} className="min-w-0 overflow-hidden">
            <figcaption className="mb-1 text-xs font-medium tracking-wide text-slate-500 uppercase">
              {chart.title}
            </figcaption>
            <MetricsChart rows={rows} lines={chart.lines} />
          </figure>
        ))}
      </div>
    </Card>
  );
}
