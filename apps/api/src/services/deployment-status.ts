import type { DeploymentStatus } from "@kubeserve/db";

/** Statuses in which a deployment serves, or is about to serve, traffic. */
export const liveDeploymentStatuses: DeploymentStatus[] = [
  "pending",
  "deploying",
  "running",
  "degraded",
  "stopping",
];
