import type { DeploymentStatus, Prisma } from "@kubeserve/db";
import { DomainError } from "../lib/errors";

/** Statuses in which a deployment serves, or is about to serve, traffic. */
const liveDeploymentStatuses: DeploymentStatus[] = [
  "pending",
  "deploying",
  "running",
  "degraded",
  "stopping",
];

/**
 * Inside a deletion's transaction: refuses while live deployments use the model or version, then
 * removes its stopped and failed ones (they are its history). A deployment created concurrently still
 * blocks the deletion through the foreign key.
 */
export async function clearDeploymentsBeforeDelete(
  tx: Prisma.TransactionClient,
  where: { modelId: string } | { versionId: string },
  subject: { label: string; noun: "model" | "version" },
): Promise<void> {
  const live = await tx.deployment.findMany({
    where: { ...where, status: { in: liveDeploymentStatuses } },
    select: { name: true },
    orderBy: { name: "asc" },
  });
  if (live.length > 0) {
    const names = live.map((deployment) => deployment.name).join(", ");
    throw new DomainError(
      "CONFLICT",
      `${subject.label} has ${live.length} live deployment(s) (${names}): ` +
        `stop them before deleting the ${subject.noun}`,
    );
  }
  await tx.deployment.deleteMany({ where });
}
