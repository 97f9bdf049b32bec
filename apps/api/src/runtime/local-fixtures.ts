import { randomUUID } from "node:crypto";
import { irisModelPath } from "../test/fixtures";
import type { TDesiredDeployment } from "./driver";

// One desired iris deployment for the local driver's test files: one replica, a fresh id each call.

export function desiredLocal(overrides: Partial<TDesiredDeployment> = {}): TDesiredDeployment {
  return {
    id: randomUUID(),
    name: "iris",
    modelName: "iris",
    generation: 1,
    model: { uri: irisModelPath, sha256: "" },
    replicas: 1,
    resources: {},
    runtimeOptions: { batching: "auto", maxBatchSize: 32, maxQueueDelayMs: 1 },
    ...overrides,
  };
}
