import type { TDesiredDeployment } from "./driver";

// One desired iris deployment for the ray driver tests (REST and KubeRay backends).

export function desiredRay(
  id: string,
  options: {
    replicas?: number;
    generation?: number;
    sha256: string;
    resources: TDesiredDeployment["resources"];
    runtimeOptions: TDesiredDeployment["runtimeOptions"];
  },
): TDesiredDeployment {
  return {
    id,
    name: "iris",
    modelName: "iris",
    generation: options.generation ?? 1,
    model: { uri: "/x", sha256: options.sha256 },
    replicas: options.replicas ?? 1,
    resources: options.resources,
    runtimeOptions: options.runtimeOptions,
  };
}
