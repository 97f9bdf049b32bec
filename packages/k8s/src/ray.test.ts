import { describe, expect, it } from "vitest";
import { K8sSpecError } from "./errors";
import {
  buildRayConfigMaps,
  buildRayService,
  buildServeConfigPatch,
  rayClientEnvFrom,
  type TRayServiceSpecInput,
} from "./ray";
import { validateManifest, validateRayService } from "./testing/validate";

const input: TRayServiceSpecInput = {
  name: "team-ray",
  namespace: "ray",
  rayVersion: "2.40.0",
  image: "rayproject/ray:2.40.0-py311",
  workers: [
    {
      groupName: "cpu",
      replicas: 1,
      minReplicas: 1,
      maxReplicas: 4,
      resources: { cpu: "2", memory: "4Gi" },
    },
  ],
};

describe("RayService builder", () => {
  const service = buildRayService(input);
  const cluster = service.spec.rayClusterConfig!;
  const pods = [
    cluster.headGroupSpec.template,
    ...(cluster.workerGroupSpecs ?? []).map((g) => g.template),
  ];

  it("validates against KubeRay's own CRD schema (unknown fields rejected, as fieldValidation=Strict does)", () => {
    validateRayService(service);
  });

  it("the schema check can fail: a misspelt field and a wrong type are rejected", () => {
    expect(() =>
      validateRayService({ ...service, spec: { ...service.spec, serveConfigV3: "" } }),
    ).toThrow(/must NOT have additional properties/);
    const broken = structuredClone(service);
    (broken.spec.rayClusterConfig!.workerGroupSpecs![0] as { replicas: unknown }).replicas = "one";
    expect(() => validateRayService(broken)).toThrow(/replicas must be integer/);
  });

  it("gives every Ray pod the shared ConfigMap and no RAY_ADDRESS (head and workers resolve auto)", () => {
    for (const pod of pods) {
      for (const container of pod.spec?.containers ?? []) {
        expect(container.envFrom).toEqual([{ configMapRef: { name: "team-ray-ray-shared" } }]);
        expect(container.env?.some((e) => e.name === "RAY_ADDRESS")).toBeFalsy();
      }
    }
  });

  it("puts RAY_ADDRESS only in the client ConfigMap, consistent with the shared host and port", () => {
    const { shared, client } = buildRayConfigMaps(input);
    validateManifest(shared);
    validateManifest(client);
    expect(shared.data).toEqual({
      RAY_HOST: "team-ray-head-svc.ray.svc",
      RAY_PORT: "10001",
      RAY_DASHBOARD_URL: "http://team-ray-head-svc.ray.svc:8265",
      RAY_SERVE_URL: "http://team-ray-head-svc.ray.svc:8000",
      RAY_NAMESPACE: "kubeserve",
    });
    expect(shared.data?.RAY_ADDRESS).toBeUndefined();
    expect(client.data).toEqual({ RAY_ADDRESS: "ray://team-ray-head-svc.ray.svc:10001" });
    expect(rayClientEnvFrom("team-ray")).toEqual([
      { configMapRef: { name: "team-ray-ray-shared" } },
      { configMapRef: { name: "team-ray-ray-client" } },
    ]);
  });

  it("opens the dashboard (Serve REST API), client and Serve ports on the head and autoscales workers", () => {
    expect(cluster.headGroupSpec.rayStartParams["dashboard-host"]).toBe("0.0.0.0");
    expect(
      cluster.headGroupSpec.template.spec?.containers[0]?.ports?.map((p) => p.containerPort),
    ).toEqual([6379, 8265, 10001, 8000]);
    expect(cluster.enableInTreeAutoscaling).toBe(true);
    expect(cluster.workerGroupSpecs?.[0]).toMatchObject({
      groupName: "cpu",
      replicas: 1,
      minReplicas: 1,
      maxReplicas: 4,
      rayStartParams: { "num-cpus": "2" },
    });
  });

  it("rejects bad input before building", () => {
    expect(() => buildRayService({ ...input, name: "Team_Ray" })).toThrow(K8sSpecError);
    expect(() => buildRayService({ ...input, rayVersion: "latest" })).toThrow(
      /rayVersion: must be a Ray version/,
    );
    expect(() =>
      buildRayService({
        ...input,
        workers: [
          {
            groupName: "cpu",
            replicas: 5,
            minReplicas: 1,
            maxReplicas: 4,
            resources: { cpu: "1", memory: "1Gi" },
          },
        ],
      }),
    ).toThrow(/need minReplicas ≤ replicas ≤ maxReplicas/);
  });

  it("the serveConfigV2 patch carries only the merged config, and the merged RayService still validates", () => {
    const existing =
      "applications:\n  - name: team-a\n    route_prefix: /a\n    import_path: team_a.app:entry\n";
    const id = "0190a6f2-8000-7000-8000-0000000000d1";
    const patch = buildServeConfigPatch(
      { name: "team-ray", namespace: "ray", serveConfigV2: existing },
      {
        upsert: [
          {
            name: `kubeserve-${id}`,
            route_prefix: `/kubeserve/${id}`,
            import_path: "kubeserve_ray.entry:app",
          },
        ],
      },
    );
    expect(Object.keys(patch.spec)).toEqual(["serveConfigV2"]);
    expect(patch.spec.serveConfigV2?.startsWith(existing)).toBe(true);
    validateRayService({
      ...service,
      spec: { ...service.spec, serveConfigV2: patch.spec.serveConfigV2 },
    });
  });
});
