"use client";

import { Card, ErrorNotice } from "@kubeserve/ui";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { readApiErrorMessage } from "~/lib/api-error";
import { busyPollMs } from "~/lib/polling";
import { useTRPC } from "~/trpc/react";

/** The last lines each replica wrote; refreshed every few seconds while the page is visible. */
export function LogsTail({ deploymentId, isMoving }: { deploymentId: string; isMoving: boolean }) {
  const trpc = useTRPC();
  const [selected, setSelected] = useState<string>();
  const logs = useQuery(
    trpc.deployment.logs.queryOptions(
      { id: deploymentId, lines: 200 },
      { refetchInterval: isMoving ? busyPollMs : 5_000, refetchIntervalInBackground: false },
    ),
  );
  const replicas = logs.data ?? [];
  const shown = replicas.find((r) => r.replicaId === selected) ?? replicas[0];
  return (
    <Card
      title="Logs"
      actions={
        replicas.length > 1 ? (
          <div role="tablist" aria-label="Replica" className="flex flex-wrap gap-1">
            {replicas.map((replica) => (
              <button
                key={replica.replicaId}
                type="button"
                role="tab"
                aria-selected={replica.replicaId === shown?.replicaId}
                onClick={() => setSelected(replica.replicaId)}
                className="rounded px-2 py-1 font-mono text-xs aria-selected:bg-slate-900 aria-selected:text-white focus-visible:outline-2 focus-visible:outline-indigo-500 dark:aria-selected:bg-slate-100 dark:aria-selected:text-slate-900"
              >
                {replica.replicaId.slice(0, 12)}
              </button>
            ))}
          </div>
        ) : null
      }
    >
      {logs.error ? <ErrorNotice message={readApiErrorMessage(logs.error)} /> : null}
      {shown ? (
        <pre
          aria-label={`Logs of ${shown.replicaId}`}
          className="max-h-80 overflow-auto rounded-md bg-slate-950 p-3 font-mono text-xs leading-relaxed whitespace-pre-wrap text-slate-200"
        >
          {shown.lines.length > 0 ? shown.lines.join("\n") : "(no output yet)"}
        </pre>
      ) : logs.data ? (
        <p className="text-sm text-slate-500">No replica has written logs yet.</p>
      ) : null}
    </Card>
  );
}
