"use client";

import type { RouterOutputs } from "@kubeserve/api";
import { EmptyState, ErrorNotice, buttonClasses } from "@kubeserve/ui";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { memo } from "react";
import { readApiErrorMessage } from "~/lib/api-error";
import { describeReplicas, readStatusDetail } from "~/lib/deployment-summary";
import { formatRelative } from "~/lib/format";
import { deploymentPollMs } from "~/lib/polling";
import { useTRPC } from "~/trpc/react";
import { DeploymentStatusBadge } from "./deployment-status";

type TDeployment = RouterOutputs["deployment"]["list"]["items"][number];

// Memoised on the row object: structural sharing keeps unchanged rows, so polls re-render only changes.
const DeploymentRow = memo(function DeploymentRow({ deployment }: { deployment: TDeployment }) {
  return (
    <li className="relative grid grid-cols-1 gap-2 px-4 py-4 hover:bg-slate-50 sm:grid-cols-[minmax(0,2fr)_8rem_minmax(0,1fr)_7rem] sm:items-center sm:gap-4 dark:hover:bg-slate-800/50">
      <div className="min-w-0">
        <Link
          href={`/deployments/${deployment.id}`}
          className="font-medium text-slate-900 after:absolute after:inset-0 focus-visible:outline-none dark:text-white [&:focus-visible]:after:outline-2 [&:focus-visible]:after:outline-indigo-500"
        >
          {deployment.name}
        </Link>
        <p className="truncate text-sm text-slate-500 dark:text-slate-400">
          {readStatusDetail(deployment) ?? `${deployment.runtime} runtime`}
        </p>
      </div>
      <div>
        <DeploymentStatusBadge status={deployment.status} />
      </div>
      <p className="text-sm text-slate-600 dark:text-slate-400">
        <span className="sm:sr-only">Replicas: </span>
        {describeReplicas(deployment)}
      </p>
      <time
        dateTime={deployment.createdAt}
        suppressHydrationWarning
        className="text-sm text-slate-500 sm:text-right dark:text-slate-400"
      >
        {formatRelative(deployment.createdAt)}
      </time>
    </li>
  );
});

export function DeploymentList() {
  const trpc = useTRPC();
  const list = useQuery(
    trpc.deployment.list.queryOptions(
      { limit: 50 },
      {
        refetchInterval: (query) =>
          deploymentPollMs(query.state.data?.items.map((item) => item.status)),
        refetchIntervalInBackground: false,
      },
    ),
  );
  const items = list.data?.items ?? [];
  return (
    <div className="flex flex-col gap-6">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">Deployments</h1>
        <p className="mt-1 text-sm text-slate-600 dark:text-slate-400">
          Every model version you serve, its state and its replicas.
        </p>
      </div>
      {list.error ? (
        <ErrorNotice title="Could not load deployments" message={readApiErrorMessage(list.error)} />
      ) : null}
      {list.data && items.length === 0 ? (
        <EmptyState
          title="Nothing deployed yet"
          action={
            <Link href="/" className={buttonClasses("primary")}>
              Go to your models
            </Link>
          }
        >
          Open a model, upload a version and press Deploy: you get a prediction URL, live charts and
          a try-it form here.
        </EmptyState>
      ) : items.length > 0 ? (
        <div className="overflow-hidden rounded-lg border border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900">
          <div
            aria-hidden="true"
            className="hidden grid-cols-[minmax(0,2fr)_8rem_minmax(0,1fr)_7rem] gap-4 border-b border-slate-200 bg-slate-50 px-4 py-2 text-xs font-medium tracking-wide text-slate-500 uppercase sm:grid dark:border-slate-800 dark:bg-slate-900/60 dark:text-slate-400"
          >
            <span>Deployment</span>
            <span>Status</span>
            <span>Replicas</span>
            <span className="text-right">Created</span>
          </div>
          <ul
            aria-label="Deployments"
            aria-busy={list.isFetching}
            className="divide-y divide-slate-100 dark:divide-slate-800"
          >
            {items.map((deployment) => (
              <DeploymentRow key={deployment.id} deployment={deployment} />
            ))}
          </ul>
        </div>
      ) : null}
      {list.data?.nextCursor ? (
        <p className="text-sm text-slate-500">Showing the newest 50 deployments.</p>
      ) : null}
    </div>
  );
}
