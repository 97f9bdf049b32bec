import type { RouterOutputs } from "@kubeserve/api";
import { StatusBadge } from "@kubeserve/ui";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { memo } from "react";
import { formatRelative } from "~/lib/format";
import { VersionStatusBadge } from "../model/version-status";
import { DeploymentsSummary } from "./deployments-summary";

export type TModelListItem = RouterOutputs["model"]["list"]["items"][number];

/**
 * One model in the hub. Memoised on the row object: react-query keeps an unchanged row's object across
 * polls (structural sharing), so a poll re-renders only the rows whose data changed.
 */
export const ModelRow = memo(function ModelRow({ model }: { model: TModelListItem }) {
  const latest = model.latestVersion;
  const router = useRouter();
  const href = `/models/${model.id}`;
  // Not prefetched on sight: a page of 50 rows would be 50 server renders racing the hub's own start.
  const prefetch = () => router.prefetch(href);
  return (
    <li className="relative grid grid-cols-1 gap-2 px-4 py-4 hover:bg-slate-50 sm:grid-cols-[minmax(0,2fr)_minmax(0,1.3fr)_minmax(0,1fr)_7rem] sm:items-center sm:gap-4 dark:hover:bg-slate-800/50">
      <div className="min-w-0">
        <Link
          href={href}
          prefetch={false}
          onMouseEnter={prefetch}
          onFocus={prefetch}
          className="font-medium text-slate-900 after:absolute after:inset-0 focus-visible:outline-none dark:text-white [&:focus-visible]:after:outline-2 [&:focus-visible]:after:outline-indigo-500"
        >
          {model.name}
        </Link>
        <p className="truncate text-sm text-slate-500 dark:text-slate-400">
          {model.description || "No description"}
        </p>
      </div>
      <div className="flex flex-wrap items-center gap-2 text-sm">
        {latest ? (
          <>
            <span className="font-mono text-slate-700 dark:text-slate-300">{latest.tag}</span>
            <VersionStatusBadge status={latest.status} />
            <span className="text-xs text-slate-500">
              {model.versionCount} version{model.versionCount === 1 ? "" : "s"}
            </span>
          </>
        ) : (
          <StatusBadge tone="neutral" label="no versions" />
        )}
      </div>
      <DeploymentsSummary deployments={model.deployments} />
      <time
        dateTime={model.updatedAt}
        suppressHydrationWarning
        className="text-sm text-slate-500 sm:text-right dark:text-slate-400"
      >
        {formatRelative(model.updatedAt)}
      </time>
    </li>
  );
});
