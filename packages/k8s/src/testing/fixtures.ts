import { artifactTokenSecretName } from "../names";
import type { TModelDeploymentSpecInput, TTenantSpecInput } from "../spec";

// Realistic builder inputs for tests: ids as the database makes them (UUIDv7).

export const ids = {
  user: "0190a6f2-7c1e-7a3b-9c4d-5e6f7a8b9c0d",
  otherUser: "0190a6f2-7c1e-7a3b-9c4d-000000000002",
  model: "0190a6f2-8000-7000-8000-000000000001",
  version: "0190a6f2-8000-7000-8000-000000000002",
  deployment: "0190a6f2-8000-7000-8000-0000000000d1",
};

export const sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

export function tenantInput(overrides: Partial<TTenantSpecInput> = {}): TTenantSpecInput {
  return { userId: ids.user, ...overrides };
}

export function deploymentInput(
  overrides: Partial<TModelDeploymentSpecInput> = {},
): TModelDeploymentSpecInput {
  return {
    deploymentId: ids.deployment,
    userId: ids.user,
    modelId: ids.model,
    versionId: ids.version,
    deploymentName: "iris-prod",
    modelName: "iris",
    versionTag: "v1",
    framework: "onnx",
    artifact: {
      url: `http://kubeserve-api.kubeserve.svc:4000/api/v1/deployments/${ids.deployment}/artifact?version=${ids.version}`,
      sha256,
      tokenSecretName: artifactTokenSecretName(ids.deployment),
    },
    ...overrides,
  };
}
