import type { RouterOutputs } from "@kubeserve/api";
import { Card } from "@kubeserve/ui";
import { formatDateTime, formatRelative } from "~/lib/format";
import { DeploymentStatusBadge } from "./deployment-status";

type TDeployment = RouterOutputs["deployment"]["get"];

function readyIn(startedAt: string, readyAt: string | null): string {
  if (!readyAt) return "—";
  const ms = Date.parse(readyAt) - Date.parse(startedAt);
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** The replicas serving now, with their health, and the status history with each change's reason. */
export function DeploymentActivity({ deployment }: { deployment: TDeployment }) {
  const replicas = deployment.currentReplicas;
  return (
    <div className="grid gap-6 lg:grid-cols-2">
      <Card title="Replicas">
        {replicas.length === 0 ? (
          <p className="text-sm text-slate-500">No replica is running.</p>
        ) : (
          <div className="overflow-x-auto">
            <table className="w-full text-left text-sm" aria-label="Replicas">
              <thead className="border-b border-slate-200 text-xs text-slate-500 dark:border-slate-800">
                <tr>
                  <th scope="col" className="py-1.5 pr-3 font-medium">
                    Replica
                  </th>
                  <th scope="col" className="py-1.5 pr-3 font-medium">
                    Health
                  </th>
                  <th scope="col" className="py-1.5 pr-3 font-medium">
                    Restarts
                  </th>
                  <th scope="col" className="py-1.5 pr-3 font-medium">
                    Ready in
                  </th>
                  <th scope="col" className="py-1.5 font-medium">
                    Started
                  </th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
                {replicas.map((replica) => (
                  <tr key={replica.id}>
                    <td className="py-1.5 pr-3 font-mono text-xs">{replica.id.slice(0, 12)}</td>
                    <td className="py-1.5 pr-3">
                      <DeploymentStatusBadge status={replica.state} />
                      {replica.reason ? (
                        <span className="ml-2 text-xs text-slate-500">{replica.reason}</span>
                      ) : null}
                    </td>
                    <td className="py-1.5 pr-3">{replica.restarts}</td>
                    <td className="py-1.5 pr-3">{readyIn(replica.startedAt, replica.readyAt)}</td>
                    <td className="py-1.5 text-slate-500" suppressHydrationWarning>
                      {formatRelative(replica.startedAt)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
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
