import { describe, expect, it } from "vitest";
import { buildModelDeployment } from "../workload";
import { deploymentInput } from "./fixtures";
import { checkMetadata, validateManifest } from "./validate";

// The validators must be able to fail, or every "validates" test above would prove nothing.
describe("validateManifest", () => {
  it("rejects a Deployment the API server would reject by schema", () => {
    const deployment = buildModelDeployment(deploymentInput());
    const broken = { ...deployment, spec: { ...deployment.spec, replicas: "two" } };
    expect(() => validateManifest(broken as never)).toThrow(/replicas must be integer/);
  });

  it("rejects a container without an image name type", () => {
    const deployment = buildModelDeployment(deploymentInput());
    const spec = deployment.spec!;
    const broken = {
      ...deployment,
      spec: { ...spec, template: { ...spec.template, spec: { containers: [{ name: 1 }] } } },
    };
    expect(() => validateManifest(broken as never)).toThrow(/name must be string/);
  });

  it("rejects bad names and label values like the API server", () => {
    expect(checkMetadata({ kind: "Service", metadata: { name: "1abc" } })).toHaveLength(1);
    expect(checkMetadata({ kind: "ConfigMap", metadata: { name: "a.b-c" } })).toHaveLength(0);
    expect(
      checkMetadata({ kind: "ConfigMap", metadata: { name: "x", labels: { a: "x".repeat(64) } } }),
    ).toHaveLength(1);
    expect(
      checkMetadata({ kind: "ConfigMap", metadata: { name: "x", labels: { "bad key!": "v" } } }),
    ).toHaveLength(1);
    expect(
      checkMetadata({ kind: "ConfigMap", metadata: { name: "x", namespace: "Bad" } }),
    ).toHaveLength(1);
  });

  it("refuses a kind it has no schema for, instead of passing it unchecked", () => {
    expect(() =>
      validateManifest({ apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w" } }),
    ).toThrow(/no schema registered for example.com\/v1\/Widget/);
  });
});
