"use client";

import { Button, Card, ErrorNotice, TextField } from "@kubeserve/ui";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { readApiProblem } from "~/lib/api-error";
import { useTRPC } from "~/trpc/react";

export function CreateModelForm({ onClose }: { onClose: () => void }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const create = useMutation(
    trpc.model.create.mutationOptions({
      onSuccess: async (model) => {
        await queryClient.invalidateQueries({ queryKey: trpc.model.list.pathKey() });
        router.push(`/models/${model.id}`);
      },
    }),
  );
  const problem = create.error ? readApiProblem(create.error) : undefined;
  return (
    <Card title="New model">
      <form
        className="grid gap-4 sm:grid-cols-2"
        onSubmit={(event) => {
          event.preventDefault();
          const form = new FormData(event.currentTarget);
          create.mutate({
            name: String(form.get("name") ?? ""),
            description: String(form.get("description") ?? ""),
          });
        }}
      >
        <TextField
          label="Name"
          name="name"
          required
          autoFocus
          placeholder="iris-classifier"
          hint="Lower-case letters, digits and dashes; it becomes part of prediction URLs."
          error={problem?.fieldErrors.name}
        />
        <TextField
          label="Description (optional)"
          name="description"
          placeholder="What it predicts"
          error={problem?.fieldErrors.description}
        />
        {problem && Object.keys(problem.fieldErrors).length === 0 ? (
          <div className="sm:col-span-2">
            <ErrorNotice message={problem.message} />
          </div>
        ) : null}
        <div className="flex gap-2 sm:col-span-2">
          <Button type="submit" isBusy={create.isPending}>
            Create model
          </Button>
          <Button variant="ghost" onClick={onClose}>
            Cancel
          </Button>
        </div>
      </form>
    </Card>
  );
}
