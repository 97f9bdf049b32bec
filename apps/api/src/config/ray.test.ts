import { describe, expect, it } from "vitest";
import { readApiConfig } from "../config";
import { resolveRayConfig, ZRayEnv } from "./ray";

// One Ray resolution rule per pod role, with the env each role gets from the two ConfigMaps of the
// original design (shared: every Ray pod; client: only pods that connect to the head).

const shared = {
  RAY_HOST: "kubeserve-head-svc.ray.svc",
  RAY_PORT: "10001",
  RAY_DASHBOARD_URL: "http://kubeserve-head-svc.ray.svc:8265",
  RAY_SERVE_URL: "http://kubeserve-head-svc.ray.svc:8000",
  RAY_NAMESPACE: "kubeserve",
};
const client = { RAY_ADDRESS: "ray://kubeserve-head-svc.ray.svc:10001" };

const env = (values: Record<string, string>) => ZRayEnv.parse(values);
const base = { AUTH_SECRET: "x".repeat(40), KUBESERVE_HOME: "/tmp/kubeserve-ray-config-test" };

describe("resolveRayConfig", () => {
  it("client pod (shared + client ConfigMaps): RAY_ADDRESS, URLs from the shared env", () => {
    const config = resolveRayConfig(env({ ...shared, ...client, RUNTIMES_ENABLED: "local,ray" }));
    expect(config).toMatchObject({
      isEnabled: true,
      address: "ray://kubeserve-head-svc.ray.svc:10001",
      dashboardUrl: "http://kubeserve-head-svc.ray.svc:8265",
      serveUrl: "http://kubeserve-head-svc.ray.svc:8000",
      namespace: "kubeserve",
      managedBy: "rest",
      preflightMs: 60_000,
    });
  });

  it("client pod without RAY_ADDRESS: derived from RAY_HOST and RAY_PORT (default 10001)", () => {
    const config = resolveRayConfig(env({ RAY_HOST: "ray-head" }));
    expect(config.address).toBe("ray://ray-head:10001");
    expect(config.dashboardUrl).toBe("http://ray-head:8265");
    expect(config.serveUrl).toBe("http://ray-head:8000");
    expect(resolveRayConfig(env({ RAY_HOST: "ray-head", RAY_PORT: "20001" })).address).toBe(
      "ray://ray-head:20001",
    );
  });

  it("head and worker pods (shared ConfigMap only) resolve auto", () => {
    for (const role of ["head", "worker"] as const) {
      expect(resolveRayConfig(env(shared), role).address).toBe("auto");
    }
  });

  it("a head or worker pod given the client's RAY_ADDRESS is refused, naming it", () => {
    expect(() => resolveRayConfig(env({ ...shared, ...client }), "worker")).toThrow(
      /RAY_ADDRESS=ray:\/\/kubeserve-head-svc.ray.svc:10001 is for client pods; worker pods resolve auto/,
    );
  });

  it("RAY_ADDRESS and a conflicting RAY_HOST or RAY_PORT: refused, naming both", () => {
    expect(() => resolveRayConfig(env({ RAY_ADDRESS: "ray://a:10001", RAY_HOST: "b" }))).toThrow(
      /RAY_ADDRESS=ray:\/\/a:10001 and RAY_HOST=b disagree/,
    );
    expect(() =>
      resolveRayConfig(env({ RAY_ADDRESS: "ray://a:10001", RAY_HOST: "a", RAY_PORT: "10002" })),
    ).toThrow(/RAY_ADDRESS=ray:\/\/a:10001 and RAY_PORT=10002 disagree/);
  });

  it("kuberay needs the RayService; its names without kuberay are refused", () => {
    expect(() => resolveRayConfig(env({ RAY_HOST: "h", RAY_MANAGED_BY: "kuberay" }))).toThrow(
      /RAY_MANAGED_BY=kuberay needs RAY_SERVICE_NAME and RAY_SERVICE_NAMESPACE/,
    );
    expect(() => resolveRayConfig(env({ RAY_HOST: "h", RAY_SERVICE_NAME: "x" }))).toThrow(
      /RAY_SERVICE_NAME\/RAY_SERVICE_NAMESPACE are set but RAY_MANAGED_BY=rest/,
    );
    const config = resolveRayConfig(
      env({
        RAY_HOST: "h",
        RAY_MANAGED_BY: "kuberay",
        RAY_SERVICE_NAME: "kubeserve",
        RAY_SERVICE_NAMESPACE: "ray",
      }),
    );
    expect(config.rayService).toEqual({ name: "kubeserve", namespace: "ray" });
  });
});

describe("ray config through readApiConfig", () => {
  it("stops the API on a conflict and on bad values, naming the variables", () => {
    expect(() => readApiConfig({ ...base, RAY_ADDRESS: "ray://a:10001", RAY_HOST: "b" })).toThrow(
      /Invalid configuration:\n {2}RAY_ADDRESS=ray:\/\/a:10001 and RAY_HOST=b disagree/,
    );
    expect(() => readApiConfig({ ...base, RAY_ADDRESS: "http://a:10001" })).toThrow(
      /RAY_ADDRESS: must be ray:\/\/host:port or auto/,
    );
    expect(() => readApiConfig({ ...base, RUNTIMES_ENABLED: "local,spark" })).toThrow(
      /RUNTIMES_ENABLED/,
    );
    expect(() => readApiConfig({ ...base, RUNTIMES_ENABLED: "local,ray" })).toThrow(
      /RUNTIMES_ENABLED includes ray but none of RAY_ADDRESS, RAY_HOST, RAY_DASHBOARD_URL is set/,
    );
  });

  it("is disabled by default; the artifact origin falls back to API_PUBLIC_URL", () => {
    expect(readApiConfig(base).ray.isEnabled).toBe(false);
    const config = readApiConfig({
      ...base,
      RUNTIMES_ENABLED: "local,ray",
      RAY_HOST: "ray-head",
      API_PUBLIC_URL: "http://api.internal:4000/",
    });
    expect(config.ray).toMatchObject({
      isEnabled: true,
      address: "ray://ray-head:10001",
      artifactOrigin: "http://api.internal:4000",
    });
  });
});
