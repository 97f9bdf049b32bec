import { StatusBadge, type TStatusTone } from "@kubeserve/ui";

const tones: Record<string, TStatusTone> = {
  running: "ok",
  ready: "ok",
  pending: "busy",
  deploying: "busy",
  starting: "busy",
  stopping: "busy",
  draining: "busy",
  degraded: "warn",
  crashed: "warn",
  failed: "error",
  stopped: "neutral",
};

/** Deployment and replica states share one palette: green serves, blue moves, amber limps, red failed. */
export function DeploymentStatusBadge({ status }: { status: string }) {
  return <StatusBadge tone={tones[status] ?? "neutral"} label={status} />;
}
