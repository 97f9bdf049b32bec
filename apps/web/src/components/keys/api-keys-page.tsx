"use client";

import { Button, EmptyState, ErrorNotice } from "@kubeserve/ui";
import { useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { readApiErrorMessage } from "~/lib/api-error";
import { useTRPC } from "~/trpc/react";
import { ApiKeyRow } from "./api-key-row";
import { CreateApiKeyForm } from "./create-api-key-form";

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
        <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900">
          <table className="w-full min-w-[44rem] text-left text-sm">
            <thead className="border-b border-slate-200 bg-slate-50 text-xs tracking-wide text-slate-500 uppercase dark:border-slate-800 dark:bg-slate-900/60 dark:text-slate-400">
              <tr>
                <th scope="col" className="px-4 py-2 font-medium">
                  Name
                </th>
                <th scope="col" className="px-4 py-2 font-medium">
                  Key
                </th>
                <th scope="col" className="px-4 py-2 font-medium">
                  Scope
                </th>
                <th scope="col" className="px-4 py-2 font-medium">
                  Created
                </th>
                <th scope="col" className="px-4 py-2 font-medium">
                  Last used
                </th>
                <th scope="col" className="px-4 py-2 text-right font-medium">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
              {items.map((key) => (
                <ApiKeyRow key={key.id} apiKey={key} deploymentNames={deploymentNames} />
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </div>
  );
}
