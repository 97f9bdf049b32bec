// The API words a running deployment's status as "1 of 1 replicas ready"; beside a replica count that
// said the same twice. One line for the count and readiness, the message only when it says something else.

type TSummarised = {
  status: string;
  statusMessage: string | null;
  desiredState: "running" | "stopped";
  runtime: string;
  replicas: number;
  autoscaling: { minReplicas: number; maxReplicas: number } | null;
  /** Only on deployment.get; the list has the status message's count instead. */
  currentReplicas?: readonly { state: string }[];
};

const restatesReplicas = /^(\d+) of \d+ replicas? ready$/;

function countReady(deployment: TSummarised): number | undefined {
  if (deployment.currentReplicas) {
    return deployment.currentReplicas.filter((r) => r.state === "ready").length;
  }
  const match = restatesReplicas.exec(deployment.statusMessage?.trim() ?? "");
  return match ? Number(match[1]) : undefined;
}

/** "1 / 1 ready", "2 / 3 ready (auto 1–5)" (bounds left out where a tile of their own shows them), "stopped". */
export function describeReplicas(deployment: TSummarised, isAutoscalingShown = true): string {
  if (deployment.desiredState === "stopped") return "stopped";
  const ready = countReady(deployment);
  const auto =
    isAutoscalingShown && deployment.autoscaling
      ? ` (auto ${deployment.autoscaling.minReplicas}–${deployment.autoscaling.maxReplicas})`
      : "";
  if (ready === undefined) {
    return `${deployment.replicas} replica${deployment.replicas === 1 ? "" : "s"}${auto}`;
  }
  return `${ready} / ${deployment.replicas} ready${auto}`;
}

/** The status message when it adds to describeReplicas (a reason, a step), else undefined. */
export function readStatusDetail(deployment: TSummarised): string | undefined {
  const message = deployment.statusMessage?.trim();
  return message && !restatesReplicas.test(message) ? message : undefined;
}
