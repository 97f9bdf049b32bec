import { StatusBadge, type TStatusTone } from "@kubeserve/ui";

export type TDeploymentSummary = { status: string }[];

const tones: Record<string, TStatusTone> = {
  running: "ok",
  pending: "busy",
  deploying: "busy",
  stopping: "busy",
  degraded: "warn",
  failed: "error",
  stopped: "neutral",
};

/**
 * A model's deployments in the hub, from model.list (one query with the list); polling speeds up by
 * itself while one is moving (see lib/polling.ts).
 */
export function DeploymentsSummary({ deployments }: { deployments?: TDeploymentSummary }) {
  if (!deployments || deployments.length === 0) {
    return <span className="text-sm text-slate-500 dark:text-slate-400">Not deployed</span>;
  }
  const live = deployments.filter((d) => d.status === "running").length;
  const worst =
    deployments.find((d) => d.status === "failed") ??
    deployments.find((d) => tones[d.status] === "busy") ??
    deployments[0];
  return (
    <span className="flex items-center gap-2 text-sm">
      {worst ? <StatusBadge tone={tones[worst.status] ?? "neutral"} label={worst.status} /> : null}
      <span className="text-slate-500">
        {live}/{deployments.length} live
      </span>
    </span>
  );
}
