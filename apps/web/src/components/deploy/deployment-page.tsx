"use client";

import { ErrorNotice } from "@kubeserve/ui";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { readApiErrorMessage } from "~/lib/api-error";
import { describeReplicas, readStatusDetail } from "~/lib/deployment-summary";
import { formatColdStart, formatRelative } from "~/lib/format";
import type { TGrafana } from "~/lib/grafana";
import { deploymentPollMs } from "~/lib/polling";
import { exampleRequest } from "~/lib/try-it";
import { useTRPC } from "~/trpc/react";
import { DeploymentActions } from "./deployment-actions";
import { DeploymentActivity } from "./deployment-activity";
import { DeploymentStatusBadge } from "./deployment-status";
import { DeploymentUrls } from "./deployment-urls";
import { GrafanaPanels } from "./grafana-panels";
import { LogsTail } from "./logs-tail";
import { MetricsCharts } from "./metrics-charts";
import { TryItPanel } from "./try-it-panel";

export function DeploymentPage({
  deploymentId,
  grafana,
}: {
  deploymentId: string;
  grafana: TGrafana | undefined;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const deployment = useQuery(
    trpc.deployment.get.queryOptions(
      { id: deploymentId },
      {
        // 2 s while it moves, 30 s once settled; react-query pauses polling in background tabs.
        refetchInterval: (query) => deploymentPollMs(query.state.data && [query.state.data.status]),
        refetchIntervalInBackground: false,
      },
    ),
  );
  const d = deployment.data;
  const model = useQuery({
    ...trpc.model.get.queryOptions({ id: d?.modelId ?? "" }),
    enabled: !!d,
  });
  const version = useQuery({
    ...trpc.version.get.queryOptions({ id: d?.versionId ?? "" }),
    enabled: !!d,
  });

  if (!d) {
    return deployment.error ? (
      <ErrorNotice message={readApiErrorMessage(deployment.error)} />
    ) : null;
  }
  const exampleBody = exampleRequest(version.data?.signature);
  const isRunning = d.status === "running" || d.status === "degraded";
  const statusDetail = readStatusDetail(d);
  return (
    <div className="flex flex-col gap-6">
      <nav aria-label="Breadcrumb" className="text-sm text-slate-500">
        <Link
          href="/deployments"
          className="hover:text-slate-900 hover:underline dark:hover:text-white"
        >
          Deployments
        </Link>
        <span aria-hidden="true"> / </span>
        <span className="text-slate-900 dark:text-slate-100">{d.name}</span>
      </nav>
      <div className="flex flex-wrap items-start justify-between gap-4">
        <div className="min-w-0">
          <div className="flex flex-wrap items-center gap-3">
            <h1 className="text-2xl font-semibold tracking-tight break-words">{d.name}</h1>
            <DeploymentStatusBadge status={d.status} />
          </div>
          <p className="mt-1 text-sm text-slate-600 dark:text-slate-400">
            <Link href={`/models/${d.modelId}`} className="hover:underline">
              {model.data?.name ?? "model"}
            </Link>{" "}
            <span className="font-mono">{version.data?.tag ?? ""}</span> · {d.runtime} runtime ·
            created{" "}
            <time dateTime={d.createdAt} suppressHydrationWarning>
              {formatRelative(d.createdAt)}
            </time>
          </p>
        </div>
        <DeploymentActions deployment={d} />
      </div>

      {d.status === "failed" || d.status === "degraded" ? (
        <ErrorNotice
          title={`Deployment ${d.status}`}
          message={d.statusMessage ?? "No reason given"}
        />
      ) : statusDetail ? (
        <p className="text-sm text-slate-600 dark:text-slate-400">{statusDetail}</p>
      ) : null}
      {d.notices.length > 0 ? (
        <ul className="flex flex-col gap-1 text-xs text-amber-800 dark:text-amber-300">
          {d.notices.map((notice) => (
            <li key={notice}>Note: {notice}</li>
          ))}
        </ul>
      ) : null}

      <dl className="grid grid-cols-2 gap-3 sm:grid-cols-4">
        {[
          ["Replicas", describeReplicas(d, false)],
          ["Cold start", formatColdStart(d.coldStartMs, isRunning)],
          [
            "Autoscaling",
            d.autoscaling
              ? `${d.autoscaling.minReplicas}–${d.autoscaling.maxReplicas}, ${d.autoscaling.targetInFlight} in flight`
              : "off",
          ],
          [
            "Batching",
            d.runtimeOptions.batching === "off"
              ? "off"
              : `${d.runtimeOptions.batching}, ≤ ${d.runtimeOptions.maxBatchSize} / ${d.runtimeOptions.maxQueueDelayMs} ms`,
          ],
        ].map(([label, value]) => (
          <div
            key={label}
            className="rounded-lg border border-slate-200 bg-white px-4 py-3 dark:border-slate-800 dark:bg-slate-900"
          >
            <dt className="text-xs font-medium tracking-wide text-slate-500 uppercase">{label}</dt>
            <dd className="mt-1 text-sm font-medium">{value}</dd>
          </div>
        ))}
      </dl>

      <DeploymentUrls deployment={d} modelName={model.data?.name} exampleBody={exampleBody} />
      <TryItPanel
        deploymentId={d.id}
        modelName={model.data?.name}
        signature={version.data?.signature}
        metadata={version.data?.metadata}
        isRunning={isRunning}
        onAnswered={() => {
          // The gateway records cold start at the first answered prediction; without this the page
          // kept showing "—" until its next 30 s poll.
          if (d.coldStartMs === null) {
            void queryClient.invalidateQueries({
              queryKey: trpc.deployment.get.queryKey({ id: deploymentId }),
            });
          }
        }}
      />
      <MetricsCharts deploymentId={d.id} />
      <GrafanaPanels grafana={grafana} deploymentId={d.id} />
      <DeploymentActivity deployment={d} />
      <LogsTail deploymentId={d.id} isMoving={deploymentPollMs([d.status]) < 30_000} />
    </div>
  );
}
