import { describe, expect, it } from "vitest";
import { K8sSpecError } from "./errors";
import { buildModelDeploymentManifests } from "./manifests";
import { buildModelDeployment } from "./workload";
import { buildTenantManifests } from "./tenant";
import { parseModelDeploymentSpec, type TModelDeploymentSpecInput } from "./spec";
import { deploymentInput, tenantInput } from "./testing/fixtures";

function rejection(input: TModelDeploymentSpecInput): K8sSpecError {
  try {
    buildModelDeploymentManifests(input);
  } catch (error) {
    expect(error).toBeInstanceOf(K8sSpecError);
    return error as K8sSpecError;
  }
  throw new Error("the builder accepted bad input");
}

describe("model deployment spec: bad input is rejected before anything is built", () => {
  it.each([
    [
      "a deployment name that is not a DNS label",
      { deploymentName: "Iris_Prod" },
      /^deploymentName: Deployment name must be/,
    ],
    ["a model name with a dot", { modelName: "iris.v2" }, /^modelName: Model name must be/],
    [
      "a deployment id that is not a UUID",
      { deploymentId: "iris" },
      /^deploymentId: must be a UUID/,
    ],
    ["negative replicas", { replicas: -1 }, /^replicas: must not be negative$/],
    ["fractional replicas", { replicas: 1.5 }, /^replicas: must be a whole number$/],
    [
      "a CPU limit below the request",
      {
        resources: {
          requests: { cpu: "2", memory: "1Gi" },
          limits: { cpu: "500m", memory: "1Gi" },
        },
      },
      /^resources\.limits\.cpu: limit 500m is below the request 2$/,
    ],
    [
      "a memory limit below the request",
      {
        resources: {
          requests: { cpu: "1", memory: "2Gi" },
          limits: { cpu: "1", memory: "1536Mi" },
        },
      },
      /^resources\.limits\.memory: limit 1536Mi is below the request 2Gi$/,
    ],
    [
      "a quantity that is not a quantity",
      {
        resources: { requests: { cpu: "two", memory: "1Gi" }, limits: { cpu: "2", memory: "1Gi" } },
      },
      /^resources\.requests\.cpu: must be a Kubernetes quantity/,
    ],
    [
      "autoscaling min above max",
      { replicas: 3, autoscaling: { minReplicas: 4, maxReplicas: 2 } },
      /^autoscaling\.minReplicas: minReplicas 4 is greater than maxReplicas 2$/,
    ],
    [
      "replicas outside the autoscaling range",
      { replicas: 9, autoscaling: { minReplicas: 1, maxReplicas: 3 } },
      /^replicas: replicas 9 is outside autoscaling 1–3/,
    ],
    [
      "requirements on an ONNX version",
      { requirements: { url: "http://api/req", sha256: "a".repeat(64) } },
      /^requirements: requirements are only installed for sklearn versions$/,
    ],
    [
      "an artifact sha256 that is not 64 hex digits",
      { artifact: { url: "http://api/a", sha256: "abc", tokenSecretName: "t" } },
      /^artifact\.sha256: must be 64 hex digits$/,
    ],
    [
      "an artifact URL that is not http(s)",
      { artifact: { url: "s3://bucket/key", sha256: "a".repeat(64), tokenSecretName: "t" } },
      /^artifact\.url: must be an absolute http\(s\) URL$/,
    ],
    [
      "an HTTPRoute without a parent Gateway",
      { routing: { kind: "httproute", parentRefs: [] } },
      /^routing\.parentRefs: an HTTPRoute needs at least one parent Gateway$/,
    ],
    [
      "an Ingress host that is not a host name",
      { routing: { kind: "ingress", className: "nginx", host: "https://models.example.com/" } },
      /^routing\.host: must be a lowercase DNS host name/,
    ],
  ] as Array<[string, Partial<TModelDeploymentSpecInput>, RegExp]>)(
    "%s",
    (_what, overrides, message) => {
      const error = rejection(deploymentInput(overrides));
      expect(error.message).toMatch(/^invalid model deployment spec:/);
      expect(error.issues.some((issue) => message.test(issue))).toBe(true);
    },
  );

  it("names every problem at once", () => {
    const error = rejection(deploymentInput({ replicas: -2, modelName: "Bad Name" }));
    expect(error.issues).toHaveLength(2);
  });

  it("every single builder validates too, not just the aggregate", () => {
    expect(() => buildModelDeployment(deploymentInput({ replicas: -1 }))).toThrow(K8sSpecError);
  });

  it("fills the documented defaults", () => {
    const spec = parseModelDeploymentSpec(deploymentInput());
    expect(spec.replicas).toBe(1);
    expect(spec.resources).toEqual({
      requests: { cpu: "250m", memory: "512Mi" },
      limits: { cpu: "1", memory: "1Gi" },
    });
    expect(spec.platform).toMatchObject({
      namespace: "kubeserve",
      apiServiceName: "kubeserve-api",
      apiPort: 4000,
    });
    expect(spec.routing).toEqual({ kind: "none" });
    expect(spec.batching.mode).toBe("auto");
  });
});

describe("tenant spec", () => {
  it.each([
    [{ userId: "not-a-uuid" }, /^userId: must be a UUID/],
    [{ quota: { pods: 0 } }, /^quota\.pods: must be at least 1$/],
    [{ quota: { cpu: "-1" } }, /^quota\.cpu: /],
    [{ platform: { namespace: "Kube_Serve" } }, /^platform\.namespace: must be a DNS label/],
    [
      { network: { objectStorage: { ports: [9000] } } },
      /^network\.objectStorage: give cidrs or a namespace$/,
    ],
  ] as const)("rejects %j", (overrides, message) => {
    let error: unknown;
    try {
      buildTenantManifests(tenantInput(overrides as never));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(K8sSpecError);
    expect((error as K8sSpecError).issues.some((issue) => message.test(issue))).toBe(true);
  });
});
