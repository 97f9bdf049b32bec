import { afterAll, beforeAll } from "vitest";
import { waitForStatus } from "./deployments";
import { createHarness, startHttp } from "./harness";
import type { THarness, THttpServer, TSignedUp } from "./harness";

// Shared by the end-to-end gateway suites that upload real files over HTTP and deploy them on real
// model-server processes.

export type TGatewayE2E = { h: THarness; server: THttpServer };

/** Registers the suite's hooks: a PostgreSQL harness (3 s stop grace) served over real HTTP. */
export function useGatewayE2E(): TGatewayE2E {
  const suite = {} as TGatewayE2E;
  beforeAll(async () => {
    suite.h = await createHarness("postgres", { RUNTIME_STOP_GRACE_SECONDS: "3" });
    suite.server = await startHttp(suite.h);
  });
  afterAll(async () => {
    await suite.server?.close();
    await suite.h?.destroy();
  });
  return suite;
}

/** Deploys `versionId` as one private replica, makes a predict key, and waits until it is running. */
export async function deployAndWait(
  h: THarness,
  user: TSignedUp,
  options: { versionId: string; name: string; timeoutMs: number },
): Promise<{ deploymentId: string; key: string }> {
  const deployment = await user.api.deployment.create({
    versionId: options.versionId,
    name: options.name,
    replicas: 1,
    isPublic: false,
  });
  const { secret: key } = await user.api.apiKey.create({ name: "predict" });
  await waitForStatus(h, user, deployment.id, "running", options.timeoutMs);
  return { deploymentId: deployment.id, key };
}
