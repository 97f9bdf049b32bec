"use client";

import { Card, ErrorNotice } from "@kubeserve/ui";
import { useQuery } from "@tanstack/react-query";
import { memo, useState } from "react";
import { readApiErrorMessage } from "~/lib/api-error";
import { parseLogLine, type TLogLevel } from "~/lib/log-lines";
import { busyPollMs } from "~/lib/polling";
import { useTRPC } from "~/trpc/react";

const settledPollMs = 5_000;

// Light text on the panel's dark background in both schemes.
const levelClasses: Record<TLogLevel, string> = {
  trace: "text-slate-500",
  debug: "text-slate-400",
  info: "text-sky-300",
  warn: "text-amber-300",
  error: "text-rose-300",
  fatal: "text-rose-300 font-bold",
};

const LogLine = memo(function LogLine({ line }: { line: string }) {
  const parsed = parseLogLine(line);
  if (!parsed.isStructured) return <span className="block">{parsed.text || " "}</span>;
  return (
    <span className="block">
      {parsed.time ? <span className="text-slate-500">{parsed.time} </span> : null}
      {parsed.level ? (
        <span className={`${levelClasses[parsed.level]} inline-block w-[5ch] uppercase`}>
          {parsed.level}
        </span>
      ) : null}{" "}
      <span className="text-slate-100">{parsed.message}</span>
      {parsed.fields.map(([key, value]) => (
        <span key={key}>
          {" "}
          <span className="text-slate-400">{key}=</span>
          <span className="text-slate-300">{value}</span>
        </span>
      ))}
    </span>
  );
});

/** The last lines each replica wrote; refreshed every few seconds while the page is visible. */
export function LogsTail({ deploymentId, isMoving }: { deploymentId: string; isMoving: boolean }) {
  const trpc = useTRPC();
  const [selected, setSelected] = useState<string>();
  const logs = useQuery(
    trpc.deployment.logs.queryOptions(
      { id: deploymentId, lines: 200 },
      {
        // Logs are never "fresh": an answer cached from an earlier visit (often a replica that had not
        // written yet) used to stand as "(no output yet)" until the next 5 s poll.
        staleTime: 0,
        refetchOnMount: "always",
        // A replica that has not written yet usually does within seconds of starting.
        refetchInterval: (query) =>
          isMoving || query.state.data?.some((replica) => replica.lines.length === 0)
            ? busyPollMs
            : settledPollMs,
        refetchIntervalInBackground: false,
      },
    ),
  );
  const replicas = logs.data ?? [];
  const shown = replicas.find((r) => r.replicaId === selected) ?? replicas[0];
  // Until this page's own first answer, whatever the cache holds may be out of date.
  const isWaiting = !logs.isFetchedAfterMount && !logs.error;
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
      {shown && (shown.lines.length > 0 || !isWaiting) ? (
        <pre
          aria-label={`Logs of ${shown.replicaId}`}
          tabIndex={0}
          className="max-h-80 overflow-auto rounded-md bg-slate-950 p-3 font-mono text-xs leading-relaxed break-words whitespace-pre-wrap text-slate-200 focus-visible:outline-2 focus-visible:outline-indigo-500"
        >
          {shown.lines.length > 0
            ? shown.lines.map((line, index) => <LogLine key={index} line={line} />)
            : "(no output yet)"}
        </pre>
      ) : isWaiting ? (
        <p role="status" className="text-sm text-slate-500 dark:text-slate-400">
          Loading logs…
        </p>
      ) : logs.data ? (
        <p className="text-sm text-slate-500 dark:text-slate-400">
          No replica has written logs yet.
        </p>
      ) : null}
    </Card>
  );
}
