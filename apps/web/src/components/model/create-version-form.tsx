"use client";

import { Button, Card, ErrorNotice, SelectField, TextField } from "@kubeserve/ui";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { readApiProblem } from "~/lib/api-error";
import { useTRPC } from "~/trpc/react";

export function CreateVersionForm({ modelId, onClose }: { modelId: string; onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const create = useMutation(
    trpc.version.create.mutationOptions({
      onSuccess: async () => {
        await Promise.all([
          queryClient.invalidateQueries({ queryKey: trpc.version.list.pathKey() }),
          queryClient.invalidateQueries({ queryKey: trpc.model.pathKey() }),
        ]);
        onClose();
      },
    }),
  );
  const problem = create.error ? readApiProblem(create.error) : undefined;
  return (
    <Card title="New version">
      <form
        className="grid gap-4 sm:grid-cols-3"
        onSubmit={(event) => {
          event.preventDefault();
          const form = new FormData(event.currentTarget);
          create.mutate({
            modelId,
            tag: String(form.get("tag") ?? ""),
            framework: form.get("framework") === "sklearn" ? "sklearn" : "onnx",
            description: String(form.get("description") ?? ""),
          });
        }}
      >
        <TextField
          label="Tag"
          name="tag"
          required
          autoFocus
          placeholder="v1"
          hint="Names this version in URLs and deployments."
          error={problem?.fieldErrors.tag}
        />
        <SelectField label="Framework" name="framework" defaultValue="onnx">
          <option value="onnx">ONNX</option>
          <option value="sklearn">scikit-learn</option>
        </SelectField>
        <TextField
          label="Description (optional)"
          name="description"
          placeholder="What changed"
          error={problem?.fieldErrors.description}
        />
        {problem && Object.keys(problem.fieldErrors).length === 0 ? (
          <div className="sm:col-span-3">
            <ErrorNotice message={problem.message} />
          </div>
        ) : null}
        <div className="flex gap-2 sm:col-span-3">
          <Button type="submit" isBusy={create.isPending}>
            Create version
          </Button>
          <Button variant="ghost" onClick={onClose}>
            Cancel
          </Button>
        </div>
      </form>
    </Card>
  );
}
