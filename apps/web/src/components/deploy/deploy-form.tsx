"use client";

import { Button, ErrorNotice, SelectField, TextField } from "@kubeserve/ui";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { readApiProblem } from "~/lib/api-error";
import {
  buildDeploymentInput,
  defaultDeployValues,
  placeApiErrors,
  suggestDeploymentName,
  type TDeployFormValues,
} from "~/lib/deploy-input";
import { useTRPC } from "~/trpc/react";

type TProps = { versionId: string; modelName: string; tag: string; onClose: () => void };

export function DeployForm({ versionId, modelName, tag, onClose }: TProps) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const [values, setValues] = useState<TDeployFormValues>(() => ({
    ...defaultDeployValues,
    name: suggestDeploymentName(modelName, tag),
  }));
  const [isAdvanced, setIsAdvanced] = useState(false);
  const [hasSubmitted, setHasSubmitted] = useState(false);
  const create = useMutation(
    trpc.deployment.create.mutationOptions({
      onSuccess: async (deployment) => {
        await queryClient.invalidateQueries({ queryKey: trpc.deployment.pathKey() });
        await queryClient.invalidateQueries({ queryKey: trpc.model.pathKey() });
        router.push(`/deployments/${deployment.id}`);
      },
    }),
  );
  const built = buildDeploymentInput(versionId, values);
  const local = built.isValid ? {} : built.errors;
  const api = placeApiErrors(create.error ? readApiProblem(create.error) : undefined);
  // The name is checked on every keystroke; other fields once the user has tried to deploy.
  const errorFor = (field: string) =>
    (field === "name" || hasSubmitted ? local[field] : undefined) ?? api.fields[field];
  const set = (key: keyof TDeployFormValues) => (event: { currentTarget: { value: string } }) => {
    const { value } = event.currentTarget;
    setValues((old) => ({ ...old, [key]: value }));
    if (create.error) create.reset();
  };
  const hasAdvancedError = Object.keys({ ...local, ...api.fields }).some(
    (key) => hasSubmitted && key !== "name" && key !== "replicas",
  );

  return (
    <form
      aria-label={`Deploy ${tag}`}
      className="mt-4 flex flex-col gap-4 rounded-md border border-indigo-200 bg-indigo-50/40 p-4 dark:border-indigo-900 dark:bg-indigo-950/30"
      onSubmit={(event) => {
        event.preventDefault();
        setHasSubmitted(true);
        if (!built.isValid) {
          if (Object.keys(built.errors).some((k) => k !== "name" && k !== "replicas")) {
            setIsAdvanced(true);
          }
          return;
        }
        create.mutate(built.input);
      }}
    >
      <div className="grid gap-4 sm:grid-cols-[2fr_1fr]">
        <TextField
          label="Deployment name"
          name="name"
          value={values.name}
          onChange={set("name")}
          autoFocus
          spellCheck={false}
          autoComplete="off"
          hint="Lowercase letters, digits and '-'; it becomes part of the prediction URL."
          error={errorFor("name")}
        />
        <TextField
          label="Replicas"
          name="replicas"
          type="number"
          inputMode="numeric"
          min={0}
          value={values.replicas}
          onChange={set("replicas")}
          error={errorFor("replicas")}
        />
      </div>
      <button
        type="button"
        className="self-start rounded text-left text-sm font-medium text-indigo-700 hover:underline focus-visible:outline-2 focus-visible:outline-indigo-500 dark:text-indigo-300"
        aria-expanded={isAdvanced || hasAdvancedError}
        aria-controls={`advanced-${versionId}`}
        onClick={() => setIsAdvanced((old) => !old)}
      >
        {isAdvanced || hasAdvancedError ? "▾" : "▸"} Advanced: resources, autoscaling, batching
      </button>
      {isAdvanced || hasAdvancedError ? (
        <div id={`advanced-${versionId}`} className="flex flex-col gap-4">
          <fieldset className="grid gap-4 sm:grid-cols-4">
            <legend className="mb-2 text-xs font-medium tracking-wide text-slate-500 uppercase">
              Resources
            </legend>
            {(
              [
                ["cpuRequest", "CPU request", "500m"],
                ["cpuLimit", "CPU limit", "1"],
                ["memoryRequest", "Memory request", "256Mi"],
                ["memoryLimit", "Memory limit", "1Gi"],
              ] as const
            ).map(([key, label, placeholder]) => (
              <TextField
                key={key}
                label={label}
                name={key}
                placeholder={placeholder}
                value={values[key]}
                onChange={set(key)}
                error={errorFor(`resources.${key}`)}
              />
            ))}
          </fieldset>
          <fieldset className="grid gap-4 sm:grid-cols-4">
            <legend className="mb-2 text-xs font-medium tracking-wide text-slate-500 uppercase">
              Autoscaling
            </legend>
            <label className="flex items-center gap-2 self-end pb-2 text-sm font-medium">
              <input
                type="checkbox"
                checked={values.isAutoscaling}
                onChange={(event) => {
                  const { checked } = event.currentTarget;
                  setValues((old) => ({ ...old, isAutoscaling: checked }));
                }}
                className="size-4 accent-indigo-600"
              />
              Autoscale
            </label>
            {(
              [
                ["minReplicas", "Min replicas"],
                ["maxReplicas", "Max replicas"],
                ["targetInFlight", "Target in-flight / replica"],
              ] as const
            ).map(([key, label]) => (
              <TextField
                key={key}
                label={label}
                name={key}
                type="number"
                step={key === "targetInFlight" ? "0.1" : "1"}
                disabled={!values.isAutoscaling}
                value={values[key]}
                onChange={set(key)}
                error={errorFor(`autoscaling.${key}`)}
              />
            ))}
          </fieldset>
          <fieldset className="grid gap-4 sm:grid-cols-4">
            <legend className="mb-2 text-xs font-medium tracking-wide text-slate-500 uppercase">
              Batching
            </legend>
            <SelectField
              label="Batching"
              name="batching"
              hint="auto batches when the model has a batch dimension."
              value={values.batching}
              onChange={(event) => {
                const batching = event.currentTarget.value as TDeployFormValues["batching"];
                setValues((old) => ({ ...old, batching }));
              }}
            >
              <option value="auto">auto</option>
              <option value="on">on</option>
              <option value="off">off</option>
            </SelectField>
            <TextField
              label="Max batch size"
              name="maxBatchSize"
              type="number"
              disabled={values.batching === "off"}
              value={values.maxBatchSize}
              onChange={set("maxBatchSize")}
              error={errorFor("runtimeOptions.maxBatchSize")}
            />
            <TextField
              label="Max queue delay (ms)"
              name="maxQueueDelayMs"
              type="number"
              disabled={values.batching === "off"}
              value={values.maxQueueDelayMs}
              onChange={set("maxQueueDelayMs")}
              error={errorFor("runtimeOptions.maxQueueDelayMs")}
            />
          </fieldset>
        </div>
      ) : null}
      {api.general ? <ErrorNotice message={api.general} /> : null}
      <div className="flex gap-2">
        <Button type="submit" isBusy={create.isPending}>
          Deploy {tag}
        </Button>
        <Button variant="ghost" onClick={onClose}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
