import { waitFor } from "@kubeserve/testing";
import type { THarness, TSignedUp } from "./harness";
import { seedReadyVersion } from "./ready-version";

// A user with a model, ready versions and (optionally) a running deployment, for gateway tests.

export type TDeployed = {
  user: TSignedUp;
  modelId: string;
  versionIds: string[];
  deploymentId: string;
  /** A management API key of the user. */
  key: string;
};

export async function waitForStatus(
  h: THarness,
  user: TSignedUp,
  id: string,
  status: string,
  timeoutMs = 30_000,
) {
  return waitFor(
    async () => {
      const deployment = await user.api.deployment.get({ id });
      return deployment.status === status ? deployment : undefined;
    },
    { what: `deployment ${id} ${status}`, timeoutMs, intervalMs: 50 },
  );
}

export async function deployIris(
  h: THarness,
  label: string,
  options: { replicas?: number; versions?: number; isPublic?: boolean; modelName?: string } = {},
): Promise<TDeployed> {
  const user = await h.signUp(label);
  const model = await user.api.model.create({ name: options.modelName ?? "iris" });
  const versionIds: string[] = [];
  for (let i = 1; i <= (options.versions ?? 1); i++) {
    const version = await user.api.version.create({
      modelId: model.id,
      tag: `v${i}`,
      framework: "onnx",
    });
    await seedReadyVersion(h.deps, { userId: user.userId, versionId: version.id });
    versionIds.push(version.id);
  }
  const deployment = await user.api.deployment.create({
    versionId: versionIds[0] ?? "",
    name: `${label}-iris`,
    replicas: options.replicas ?? 1,
    isPublic: options.isPublic ?? false,
  });
  const { secret } = await user.api.apiKey.create({ name: "predict" });
  if ((options.replicas ?? 1) > 0) await waitForStatus(h, user, deployment.id, "running");
  return { user, modelId: model.id, versionIds, deploymentId: deployment.id, key: secret };
}
