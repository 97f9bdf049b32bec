"use client";

import type { RouterOutputs } from "@kubeserve/api";
import { Button, DataTableCell, StatusBadge } from "@kubeserve/ui";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { readApiErrorMessage } from "~/lib/api-error";
import { formatRelative } from "~/lib/format";
import { useTRPC } from "~/trpc/react";

type TApiKey = RouterOutputs["apiKey"]["list"][number];

export function ApiKeyRow({
  apiKey,
  deploymentNames,
}: {
  apiKey: TApiKey;
  deploymentNames: ReadonlyMap<string, string>;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [isConfirming, setIsConfirming] = useState(false);
  const revoke = useMutation(
    trpc.apiKey.revoke.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.apiKey.list.pathKey() }),
    }),
  );
  const isRevoked = apiKey.revokedAt !== null;
  return (
    <tr className={isRevoked ? "text-slate-400 dark:text-slate-500" : undefined}>
      <DataTableCell isRowHeader>{apiKey.name}</DataTableCell>
      <DataTableCell>
        <code className="font-mono text-xs">{apiKey.prefix}…</code>
      </DataTableCell>
      <DataTableCell>
        <span className="rounded bg-slate-100 px-1.5 py-0.5 text-xs font-medium dark:bg-slate-800">
          {apiKey.kind}
        </span>
        <span className="ml-2 text-xs text-slate-500">
          {apiKey.deploymentIds.length === 0
            ? "all deployments"
            : apiKey.deploymentIds.map((id) => deploymentNames.get(id) ?? "deleted").join(", ")}
        </span>
      </DataTableCell>
      <DataTableCell>
        <time dateTime={apiKey.createdAt} suppressHydrationWarning>
          {formatRelative(apiKey.createdAt)}
        </time>
      </DataTableCell>
      <DataTableCell>
        {apiKey.lastUsedAt ? (
          <time dateTime={apiKey.lastUsedAt} suppressHydrationWarning>
            {formatRelative(apiKey.lastUsedAt)}
          </time>
        ) : (
          "Never"
        )}
      </DataTableCell>
      <DataTableCell align="end">
        {isRevoked ? (
          <StatusBadge tone="neutral" label="revoked" />
        ) : isConfirming ? (
          <span className="inline-flex items-center gap-2">
            <Button
              variant="danger"
              isBusy={revoke.isPending}
              onClick={() => revoke.mutate({ id: apiKey.id })}
              aria-label={`Confirm revoking ${apiKey.name}`}
            >
              Revoke now
            </Button>
            <Button variant="ghost" onClick={() => setIsConfirming(false)}>
              Keep
            </Button>
          </span>
        ) : (
          <Button
            variant="danger"
            onClick={() => setIsConfirming(true)}
            aria-label={`Revoke ${apiKey.name}`}
          >
            Revoke
          </Button>
        )}
        {revoke.error ? (
          <p role="alert" className="mt-1 text-xs text-rose-600 dark:text-rose-400">
            {readApiErrorMessage(revoke.error)}
          </p>
        ) : null}
      </DataTableCell>
    </tr>
  );
}
