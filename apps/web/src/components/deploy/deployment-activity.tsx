import type { RouterOutputs } from "@kubeserve/api";
import { Card, DataTable, type TDataTableColumn } from "@kubeserve/ui";
import { formatDateTime, formatRelative } from "~/lib/format";
import { DeploymentStatusBadge } from "./deployment-status";

type TDeployment = RouterOutputs["deployment"]["get"];

function readyIn(startedAt: string, readyAt: string | null): string {
  if (!readyAt) return "—";
  const ms = Date.parse(readyAt) - Date.parse(startedAt);
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

const replicaColumns: readonly TDataTableColumn<TDeployment["currentReplicas"][number]>[] = [
  {
    key: "replica",
    header: "Replica",
    isRowHeader: true,
    cellClassName: "font-mono text-xs",
    cell: (replica) => replica.id.slice(0, 12),
  },
  {
    key: "health",
    header: "Health",
    cell: (replica) => (
      <>
        <DeploymentStatusBadge status={replica.state} />
        {replica.reason ? (
          <span className="ml-2 text-xs text-slate-500">{replica.reason}</span>
        ) : null}
      </>
    ),
  },
  { key: "restarts", header: "Restarts", cell: (replica) => replica.restarts },
  {
    key: "ready-in",
    header: "Ready in",
    cell: (replica) => readyIn(replica.startedAt, replica.readyAt),
  },
  {
    key: "started",
    header: "Started",
    cellClassName: "text-slate-500",
    cell: (replica) => (
      <time dateTime={replica.startedAt} suppressHydrationWarning>
        {formatRelative(replica.startedAt)}
      </time>
    ),
  },
];

/** The replicas serving now, with their health, and the status history with each change's reason. */
export function DeploymentActivity({ deployment }: { deployment: TDeployment }) {
  const replicas = deployment.currentReplicas;
  // grid-cols-1 is minmax(0, 1fr): the replica table's min width scrolls in its card, not the page.
  return (
    <div className="grid grid-cols-1 gap-6 lg:grid-cols-2">
      <Card title="Replicas">
        {replicas.length === 0 ? (
          <p className="text-sm text-slate-500">No replica is running.</p>
        ) : (
          <DataTable
            caption="Replicas"
            // At 375 px the cells wrapped word by word ("45 / seconds / ago"): the box scrolls instead.
            tableClassName="min-w-[28rem] whitespace-nowrap"
            columns={replicaColumns}
            rows={replicas}
            getRowKey={(replica) => replica.id}
          />
        )}
      </Card>
      <Card title="Status history">
        {deployment.events.length === 0 ? (
          <p className="text-sm text-slate-500">No events yet.</p>
        ) : (
          <ol aria-label="Status history" className="flex max-h-80 flex-col gap-3 overflow-y-auto">
            {[...deployment.events].reverse().map((event, index) => (
              <li key={`${event.createdAt}-${index}`} className="flex gap-3 text-sm">
                <time
                  dateTime={event.createdAt}
                  title={formatDateTime(event.createdAt)}
                  suppressHydrationWarning
                  className="w-24 shrink-0 text-xs text-slate-500"
                >
                  {formatRelative(event.createdAt)}
                </time>
                <div className="flex min-w-0 flex-col items-start gap-1">
                  <DeploymentStatusBadge status={event.status} />
                  <span className="break-words text-slate-700 dark:text-slate-300">
                    {event.message}
                  </span>
                </div>
              </li>
            ))}
          </ol>
        )}
      </Card>
    </div>
  );
}
