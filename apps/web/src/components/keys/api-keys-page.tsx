"use client";

import { Button, DataTable, EmptyState, ErrorNotice } from "@kubeserve/ui";
import { useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { readApiErrorMessage } from "~/lib/api-error";
import { useTRPC } from "~/trpc/react";
import { ApiKeyRow } from "./api-key-row";
import { CreateApiKeyForm } from "./create-api-key-form";

// The cells come from ApiKeyRow (each row keeps its own revoke confirmation).
const keyColumns = [
  { key: "name", header: "Name" },
  { key: "key", header: "Key" },
  { key: "scope", header: "Scope" },
  { key: "created", header: "Created" },
  { key: "last-used", header: "Last used" },
  { key: "actions", header: <span className="sr-only">Actions</span>, align: "end" as const },
];

export function ApiKeysPage() {
  const trpc = useTRPC();
  const [isCreating, setIsCreating] = useState(false);
  const keys = useQuery(trpc.apiKey.list.queryOptions({ includeRevoked: true }));
  const items = keys.data ?? [];
  const deployments = useQuery(trpc.deployment.list.queryOptions({ limit: 100 }));
  const deploymentNames = useMemo(
    () => new Map((deployments.data?.items ?? []).map((d) => [d.id, d.name])),
    [deployments.data],
  );
  return (
    <div className="flex flex-col gap-6">
      <div className="flex flex-wrap items-end justify-between gap-4">
        <div>
          <h1 className="text-2xl font-semibold tracking-tight">API keys</h1>
          <p className="mt-1 max-w-2xl text-sm text-slate-600 dark:text-slate-400">
            Keys let scripts and services call the API and your prediction URLs as you. Send one as{" "}
            <code className="text-xs">Authorization: Bearer &lt;key&gt;</code>. Revoke a key the
            moment it leaks.
          </p>
        </div>
        <Button onClick={() => setIsCreating(true)} aria-expanded={isCreating}>
          Create key
        </Button>
      </div>
      {isCreating ? <CreateApiKeyForm onClose={() => setIsCreating(false)} /> : null}
      {keys.error ? (
        <ErrorNotice title="Could not load keys" message={readApiErrorMessage(keys.error)} />
      ) : null}
      {keys.data && items.length === 0 ? (
        <EmptyState
          title="No API keys yet"
          action={<Button onClick={() => setIsCreating(true)}>Create your first key</Button>}
        >
          Create a key for each script or service that calls KubeServe, so you can revoke one
          without touching the others.
        </EmptyState>
      ) : null}
      {items.length > 0 ? (
        <DataTable
          caption="API keys"
          columns={keyColumns}
          density="comfortable"
          isBoxed
          tableClassName="min-w-[44rem]"
        >
          {items.map((key) => (
            <ApiKeyRow key={key.id} apiKey={key} deploymentNames={deploymentNames} />
          ))}
        </DataTable>
      ) : null}
    </div>
  );
}
