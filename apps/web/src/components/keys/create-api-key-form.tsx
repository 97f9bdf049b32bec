"use client";

import { Button, Card, CopyButton, ErrorNotice, TextField } from "@kubeserve/ui";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { readApiProblem } from "~/lib/api-error";
import { useTRPC } from "~/trpc/react";

export function CreateApiKeyForm({ onClose }: { onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
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
        className="flex flex-col gap-4 sm:flex-row sm:items-start"
        onSubmit={(event) => {
          event.preventDefault();
          create.mutate({ name: String(new FormData(event.currentTarget).get("name") ?? "") });
        }}
      >
        <div className="flex-1">
          <TextField
            label="Name"
            name="name"
            required
            autoFocus
            placeholder="ci-pipeline"
            hint="Say where it will be used, to know which to revoke."
            error={problem?.fieldErrors.name}
          />
        </div>
        <div className="flex gap-2 sm:mt-6">
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
