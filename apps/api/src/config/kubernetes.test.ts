import { describe, expect, it } from "vitest";
import { readApiConfig } from "../config";

// The kubernetes section read through the API's one config reader: bad values name the variable.

describe("kubernetes config", () => {
  it("names a bad variable and its rule", () => {
    const base = { AUTH_SECRET: "x".repeat(40), KUBESERVE_HOME: "/tmp/kubeserve-k8s-config-test" };
    expect(() => readApiConfig({ ...base, KUBERNETES_ENDPOINTS: "nodeport" })).toThrow(
      /KUBERNETES_ENDPOINTS: must be cluster-dns or service-proxy/,
    );
    expect(() => readApiConfig({ ...base, KUBERNETES_PLATFORM_NAMESPACE: "Bad_NS" })).toThrow(
      /KUBERNETES_PLATFORM_NAMESPACE: must be a DNS label/,
    );
    const config = readApiConfig({
      ...base,
      RUNTIME_DEFAULT: "kubernetes",
      KUBERNETES_ENABLED: "true",
    });
    expect(config.runtime.defaultRuntime).toBe("kubernetes");
    expect(config.kubernetes).toMatchObject({
      isEnabled: true,
      artifactOrigin: "http://kubeserve-api.kubeserve.svc.cluster.local:4000",
      endpoints: "cluster-dns",
      platformNamespace: "kubeserve",
      isForceApply: false,
    });
  });

  it("refuses to start with RUNTIME_DEFAULT=kubernetes while the kubernetes runtime is off", () => {
    const base = { AUTH_SECRET: "x".repeat(40), KUBESERVE_HOME: "/tmp/kubeserve-k8s-config-test" };
    expect(() => readApiConfig({ ...base, RUNTIME_DEFAULT: "kubernetes" })).toThrow(
      /RUNTIME_DEFAULT: is kubernetes but the kubernetes runtime is off; set KUBERNETES_ENABLED=true/,
    );
    expect(readApiConfig(base).kubernetes.isEnabled).toBe(false);
    expect(() => readApiConfig({ ...base, KUBERNETES_ARTIFACT_ORIGIN: "ftp://x" })).toThrow(
      /KUBERNETES_ARTIFACT_ORIGIN: must be an absolute http\(s\) URL/,
    );
  });
});
