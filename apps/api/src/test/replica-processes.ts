import { readdirSync, readFileSync } from "node:fs";

// The model-server processes of a deployment as the machine sees them (/proc), not as the API says.

/** Every live model-server process of `deploymentId` on this machine, from /proc. */
export function replicaProcesses(deploymentId: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environ = readFileSync(`/proc/${entry}/environ`, "utf8");
      if (environ.split("\0").includes(`KUBESERVE_DEPLOYMENT=${deploymentId}`))
        pids.push(Number(entry));
    } catch {
      // Gone meanwhile, or not ours.
    }
  }
  return pids;
}
