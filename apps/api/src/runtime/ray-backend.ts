import { connect } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import {
  buildDeployBody,
  configFingerprint,
  type TServeChange,
  verifyAfterWrite,
} from "./ray-apps";
import type { TRayLock } from "./ray-lock";
import type { TServeApi, TServeInstanceDetails } from "./ray-serve-api";

// Where the ray driver reads and writes Serve applications: the Serve REST API (this file) or a KubeRay
// RayService's serveConfigV2 (ray-kuberay.ts). Both keep every application KubeServe does not own.

export type TRayBackend = {
  /** Every application Ray reports (ServeInstanceDetails.applications shape). */
  read(): Promise<TServeInstanceDetails>;
  /** Applies our change, keeping everyone else's applications; resolves once re-read and verified. */
  write(change: TServeChange): Promise<void>;
};

const maxCycles = 3;

/** Read, merge, re-read (a writer in between restarts the cycle), PUT, re-read and verify; repair ours. */
export function createRestBackend(options: {
  api: TServeApi;
  lock: TRayLock;
  log: Logger;
}): TRayBackend {
  const { api, lock, log } = options;
  return {
    read: () => api.read(),
    write: (change) =>
      lock(async () => {
        for (let cycle = 1; ; cycle++) {
          const before = await api.read();
          const body = buildDeployBody(before, change);
          // No compare-and-swap in Ray: a last look narrows the window another writer could use.
          if (configFingerprint(await api.read()) !== configFingerprint(before)) {
            if (cycle >= maxCycles) {
              throw new Error(
                "Ray's Serve config keeps changing under KubeServe; nothing was written",
              );
            }
            continue;
          }
          await api.write(body);
          const after = await api.read();
          const { oursMissing, theirsChanged } = verifyAfterWrite(before, after, change);
          if (theirsChanged.length) {
            // Not ours to restore: someone changed them after our PUT (or Ray refused them). Reported.
            log.warn(
              { applications: theirsChanged },
              "applications KubeServe does not own changed while it wrote Ray's Serve config",
            );
          }
          if (!oursMissing.length) return;
          if (cycle >= maxCycles) {
            throw new Error(
              `after ${maxCycles} writes Ray still does not hold ${oursMissing.join(", ")} as sent (another writer replaces Ray's Serve config)`,
            );
          }
          log.warn(
            { applications: oursMissing },
            "Ray lost our application right after a PUT; repairing",
          );
        }
      }),
  };
}

/** TCP connect to the dashboard until it answers or `timeoutMs` passes (the original's bounded preflight). */
export async function waitForTcp(
  url: string,
  timeoutMs: number,
  stepMs = 1000,
  what = "Ray's dashboard",
): Promise<void> {
  const { hostname, port, protocol } = new URL(url);
  const target = { host: hostname, port: Number(port || (protocol === "https:" ? 443 : 80)) };
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    try {
      await new Promise<void>((resolve, reject) => {
        const socket = connect(target, () => {
          socket.destroy();
          resolve();
        });
        socket.setTimeout(Math.min(stepMs * 2, 5000), () => socket.destroy(new Error("timed out")));
        socket.once("error", reject);
      });
      return;
    } catch (error) {
      last = (error as Error).message;
      await sleep(Math.min(stepMs, Math.max(0, deadline - Date.now())));
    }
  }
  throw new Error(
    `${what} at ${target.host}:${target.port} did not accept a TCP connection within ${Math.round(timeoutMs / 1000)} s (${last})`,
  );
}
