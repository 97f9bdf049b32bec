import { describe, expect, it } from "vitest";
import {
  buildDeploymentInput,
  checkDeploymentName,
  defaultDeployValues,
  placeApiErrors,
  suggestDeploymentName,
} from "./deploy-input";

const versionId = "0b7c9a52-0000-4000-8000-000000000001";

describe("checkDeploymentName", () => {
  it("accepts DNS labels and names what is wrong with anything else", () => {
    expect(checkDeploymentName("iris-v1")).toBeUndefined();
    expect(checkDeploymentName("")).toBe("Name is required");
    expect(checkDeploymentName("Iris")).toBe("Use lowercase letters only");
    expect(checkDeploymentName("1iris")).toBe("Must start with a letter");
    expect(checkDeploymentName("iris-")).toBe("Must end with a letter or digit");
    expect(checkDeploymentName("iris_v1")).toBe("Only lowercase letters, digits and '-'");
    expect(checkDeploymentName("a".repeat(64))).toBe("At most 63 characters");
  });

  it("suggests a valid name from model and tag", () => {
    expect(suggestDeploymentName("iris", "v1.2")).toBe("iris-v1-2");
    expect(checkDeploymentName(suggestDeploymentName("9lives", "2.0_rc"))).toBeUndefined();
  });
});

describe("buildDeploymentInput", () => {
  it("builds the API input, leaving empty resources and autoscaling out", () => {
    const result = buildDeploymentInput(versionId, { ...defaultDeployValues, name: "iris" });
    expect(result).toEqual({
      isValid: true,
      input: {
        versionId,
        name: "iris",
        replicas: 1,
        resources: {},
        autoscaling: undefined,
        runtimeOptions: { batching: "auto", maxBatchSize: 32, maxQueueDelayMs: 1 },
      },
    });
  });

  it("keys its errors by the API's field paths", () => {
    const result = buildDeploymentInput(versionId, {
      ...defaultDeployValues,
      name: "Iris",
      replicas: "1.5",
      cpuRequest: "lots",
      isAutoscaling: true,
      minReplicas: "5",
      maxReplicas: "2",
      maxBatchSize: "0",
    });
    expect(result).toEqual({
      isValid: false,
      errors: {
        name: "Use lowercase letters only",
        replicas: "Must be a whole number",
        "resources.cpuRequest": "Use a quantity such as 500m or 2",
        "autoscaling.minReplicas": "Must not exceed max replicas",
        "runtimeOptions.maxBatchSize": "Must be between 1 and 1024",
      },
    });
  });
});

describe("placeApiErrors", () => {
  it("puts zod errors by path and domain errors by the field their message names", () => {
    expect(
      placeApiErrors({
        message: "x",
        code: "BAD_REQUEST",
        fieldErrors: { "resources.cpuLimit": "cpuLimit 1 is below cpuRequest 2" },
      }).fields,
    ).toEqual({ "resources.cpuLimit": "cpuLimit 1 is below cpuRequest 2" });
    const taken = "A deployment named 'iris' already exists";
    expect(placeApiErrors({ message: taken, code: "CONFLICT", fieldErrors: {} })).toEqual({
      fields: { name: taken },
      general: undefined,
    });
    const limit = "replicas must be at most 4 (this server's limit)";
    expect(placeApiErrors({ message: limit, code: "BAD_REQUEST", fieldErrors: {} }).fields).toEqual(
      { replicas: limit },
    );
    expect(
      placeApiErrors({ message: "Version not found", code: "NOT_FOUND", fieldErrors: {} }),
    ).toEqual({ fields: {}, general: "Version not found" });
  });
});
