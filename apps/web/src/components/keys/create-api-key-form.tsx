"use client";

import { Button, Card, CopyButton, ErrorNotice, SelectField, TextField } from "@kubeserve/ui";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { readApiProblem } from "~/lib/api-error";
import { useTRPC } from "~/trpc/react";

export function CreateApiKeyForm({ onClose }: { onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const deployments = useQuery(trpc.deployment.list.queryOptions({ limit: 100 }));
  const create = useMutation(
    trpc.apiKey.create.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.apiKey.list.pathKey() }),
    }),
  );
  if (create.data) {
    // Held only in this component's memory: the API stores a hash, so it cannot be shown again.
    return (
      <Card title={`Key “${create.data.apiKey.name}” created`}>
        <p className="text-sm text-slate-600 dark:text-slate-400">
          Copy it now: this is the only time it is shown.
        </p>
        <div className="mt-3 flex flex-col gap-2 sm:flex-row sm:items-center">
          <label htmlFor="new-key-secret" className="sr-only">
            New API key
          </label>
          <input
            id="new-key-secret"
            readOnly
            value={create.data.secret}
            onFocus={(event) => event.currentTarget.select()}
            className="h-9 min-w-0 flex-1 rounded-md border border-slate-300 bg-slate-50 px-3 font-mono text-xs dark:border-slate-700 dark:bg-slate-950"
          />
          <CopyButton value={create.data.secret} label="Copy key" />
        </div>
        <Button variant="secondary" className="mt-4" onClick={onClose}>
          Done
        </Button>
      </Card>
    );
  }
  const problem = create.error ? readApiProblem(create.error) : undefined;
  return (
    <Card title="New API key">
      <form
        className="flex flex-col gap-4"
        onSubmit={(event) => {
          event.preventDefault();
          const form = new FormData(event.currentTarget);
          create.mutate({
            name: String(form.get("name") ?? ""),
            kind: form.get("kind") === "predict" ? "predict" : "management",
            deploymentIds: form.getAll("deploymentIds").map(String),
          });
        }}
      >
        <div className="grid gap-4 sm:grid-cols-2">
          <TextField
            label="Name"
            name="name"
            required
            autoFocus
            placeholder="ci-pipeline"
            hint="Say where it will be used, to know which to revoke."
            error={problem?.fieldErrors.name}
          />
          <SelectField
            label="Kind"
            name="kind"
            defaultValue="management"
            hint="Predict keys reach only prediction URLs; management keys also reach the API."
            error={problem?.fieldErrors.kind}
          >
            <option value="management">management (API and predictions)</option>
            <option value="predict">predict (prediction URLs only)</option>
          </SelectField>
        </div>
        {(deployments.data?.items.length ?? 0) > 0 ? (
          <fieldset className="flex flex-col gap-2">
            <legend className="text-sm font-medium text-slate-700 dark:text-slate-200">
              Limit predictions to deployments (none checked: all of yours)
            </legend>
            <div className="flex flex-wrap gap-x-4 gap-y-2">
              {deployments.data?.items.map((deployment) => (
                <label key={deployment.id} className="flex items-center gap-2 text-sm">
                  <input
                    type="checkbox"
                    name="deploymentIds"
                    value={deployment.id}
                    className="size-4 accent-indigo-600"
                  />
                  <span className="font-mono text-xs">{deployment.name}</span>
                </label>
              ))}
            </div>
            {problem?.fieldErrors.deploymentIds ? (
              <p className="text-sm text-rose-600 dark:text-rose-400">
                {problem.fieldErrors.deploymentIds}
              </p>
            ) : null}
          </fieldset>
        ) : null}
        <div className="flex gap-2">
          <Button type="submit" isBusy={create.isPending}>
            Create key
          </Button>
          <Button variant="ghost" onClick={onClose}>
            Cancel
          </Button>
        </div>
      </form>
      {problem && Object.keys(problem.fieldErrors).length === 0 ? (
        <div className="mt-3">
          <ErrorNotice message={problem.message} />
        </div>
      ) : null}
    </Card>
  );
}
