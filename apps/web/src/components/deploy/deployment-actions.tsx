"use client";

import type { RouterOutputs } from "@kubeserve/api";
import { Button, ErrorNotice } from "@kubeserve/ui";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { readApiErrorMessage } from "~/lib/api-error";
import { useTRPC } from "~/trpc/react";

type TDeployment = RouterOutputs["deployment"]["get"];
type TPanel = "scale" | "version" | "stop" | "delete" | undefined;

const inputClasses =
  "h-9 rounded-md border border-slate-300 bg-white px-2 text-sm focus-visible:outline-2 focus-visible:outline-indigo-500 dark:border-slate-700 dark:bg-slate-900";

/** Scale, switch version, stop/start and delete; the destructive ones ask first. */
export function DeploymentActions({ deployment }: { deployment: TDeployment }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const [panel, setPanel] = useState<TPanel>();
  const [replicas, setReplicas] = useState(String(deployment.replicas));
  const [versionId, setVersionId] = useState(deployment.versionId);
  const refresh = async () => {
    setPanel(undefined);
    await queryClient.invalidateQueries({ queryKey: trpc.deployment.pathKey() });
  };
  const scale = useMutation(trpc.deployment.scale.mutationOptions({ onSuccess: refresh }));
  const update = useMutation(trpc.deployment.update.mutationOptions({ onSuccess: refresh }));
  const stop = useMutation(trpc.deployment.stop.mutationOptions({ onSuccess: refresh }));
  const start = useMutation(trpc.deployment.start.mutationOptions({ onSuccess: refresh }));
  const remove = useMutation(
    trpc.deployment.delete.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.deployment.list.pathKey() });
        router.push("/deployments");
      },
    }),
  );
  const versions = useQuery({
    ...trpc.version.list.queryOptions({ modelId: deployment.modelId, limit: 50 }),
    enabled: panel === "version",
  });
  const error = [scale, update, stop, start, remove].find((m) => m.error)?.error;
  const isStopped = deployment.desiredState === "stopped";
  const toggle = (next: TPanel) => {
    for (const m of [scale, update, stop, start, remove]) m.reset();
    setPanel((old) => (old === next ? undefined : next));
  };

  return (
    <div className="flex flex-col items-stretch gap-3 sm:items-end">
      <div className="flex flex-wrap gap-2">
        <Button
          variant="secondary"
          onClick={() => toggle("scale")}
          aria-expanded={panel === "scale"}
        >
          Scale
        </Button>
        <Button
          variant="secondary"
          onClick={() => toggle("version")}
          aria-expanded={panel === "version"}
        >
          Change version
        </Button>
        {isStopped ? (
          <Button
            variant="secondary"
            isBusy={start.isPending}
            onClick={() => start.mutate({ id: deployment.id })}
          >
            Start
          </Button>
        ) : (
          <Button
            variant="secondary"
            onClick={() => toggle("stop")}
            aria-expanded={panel === "stop"}
          >
            Stop
          </Button>
        )}
        <Button
          variant="danger"
          onClick={() => toggle("delete")}
          aria-expanded={panel === "delete"}
        >
          Delete
        </Button>
      </div>
      {panel === "scale" ? (
        <form
          className="flex flex-wrap items-center gap-2"
          onSubmit={(event) => {
            event.preventDefault();
            scale.mutate({ id: deployment.id, replicas: Number(replicas) });
          }}
        >
          <label htmlFor="scale-replicas" className="text-sm">
            Replicas
          </label>
          <input
            id="scale-replicas"
            type="number"
            min={0}
            value={replicas}
            onChange={(event) => setReplicas(event.currentTarget.value)}
            className={`${inputClasses} w-24`}
          />
          <Button type="submit" isBusy={scale.isPending}>
            Apply
          </Button>
        </form>
      ) : null}
      {panel === "version" ? (
        <form
          className="flex flex-wrap items-center gap-2"
          onSubmit={(event) => {
            event.preventDefault();
            update.mutate({ id: deployment.id, versionId });
          }}
        >
          <label htmlFor="update-version" className="text-sm">
            Version
          </label>
          <select
            id="update-version"
            value={versionId}
            onChange={(event) => setVersionId(event.currentTarget.value)}
            className={inputClasses}
          >
            {(versions.data?.items ?? [])
              .filter((v) => v.status === "ready")
              .map((v) => (
                <option key={v.id} value={v.id}>
                  {v.tag}
                  {v.id === deployment.versionId ? " (current)" : ""}
                </option>
              ))}
          </select>
          <Button
            type="submit"
            isBusy={update.isPending}
            disabled={versionId === deployment.versionId}
          >
            Roll out
          </Button>
        </form>
      ) : null}
      {panel === "stop" || panel === "delete" ? (
        <div
          role="alertdialog"
          aria-label={panel === "stop" ? "Confirm stopping" : "Confirm deleting"}
          className="flex flex-wrap items-center gap-2 rounded-md border border-rose-200 bg-rose-50 px-3 py-2 text-sm dark:border-rose-900 dark:bg-rose-950/40"
        >
          <span>
            {panel === "stop"
              ? "Stop every replica? Predictions fail until you start it again."
              : `Delete ${deployment.name}? Its URL stops working for good.`}
          </span>
          <Button
            variant="danger"
            isBusy={panel === "stop" ? stop.isPending : remove.isPending}
            onClick={() =>
              panel === "stop"
                ? stop.mutate({ id: deployment.id })
                : remove.mutate({ id: deployment.id })
            }
          >
            {panel === "stop" ? "Yes, stop" : "Yes, delete"}
          </Button>
          <Button variant="ghost" onClick={() => setPanel(undefined)}>
            Cancel
          </Button>
        </div>
      ) : null}
      {error ? <ErrorNotice message={readApiErrorMessage(error)} /> : null}
    </div>
  );
}
