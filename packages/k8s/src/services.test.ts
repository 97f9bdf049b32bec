import { describe, expect, it } from "vitest";
import { deploymentResourceName, namespaceForUser } from "./names";
import {
  buildArtifactTokenSecret,
  buildModelHpa,
  buildModelPdb,
  buildModelService,
  buildModelServiceMonitor,
} from "./services";
import { deploymentInput, ids } from "./testing/fixtures";
import { validateManifest } from "./testing/validate";

const name = deploymentResourceName(ids.deployment);

describe("model Service", () => {
  it("is ClusterIP with a named http port (the service proxy path names it)", () => {
    const service = buildModelService(deploymentInput());
    validateManifest(service);
    expect(service.spec).toEqual({
      type: "ClusterIP",
      selector: {
        "app.kubernetes.io/component": "model-server",
        "kubeserve.io/deployment-id": ids.deployment,
      },
      ports: [{ name: "http", port: 8080, targetPort: "http", protocol: "TCP" }],
    });
  });
});

describe("HorizontalPodAutoscaler", () => {
  it("scales the Deployment on CPU and memory between min and max", () => {
    const hpa = buildModelHpa(
      deploymentInput({
        replicas: 2,
        autoscaling: {
          minReplicas: 2,
          maxReplicas: 8,
          targetCpuUtilization: 60,
          targetMemoryUtilization: 75,
        },
      }),
    );
    if (!hpa) throw new Error("expected an HPA");
    validateManifest(hpa);
    expect(hpa.spec).toEqual({
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name },
      minReplicas: 2,
      maxReplicas: 8,
      metrics: [
        {
          type: "Resource",
          resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 60 } },
        },
        {
          type: "Resource",
          resource: { name: "memory", target: { type: "Utilization", averageUtilization: 75 } },
        },
      ],
    });
  });

  it("is not built without autoscaling or for a stopped deployment", () => {
    expect(buildModelHpa(deploymentInput())).toBeUndefined();
    expect(
      buildModelHpa(
        deploymentInput({ replicas: 0, autoscaling: { minReplicas: 1, maxReplicas: 2 } }),
      ),
    ).toBeUndefined();
  });
});

describe("PodDisruptionBudget", () => {
  it.each([
    [{ replicas: 1 }, false],
    [{ replicas: 2 }, true],
    [{ replicas: 0 }, false],
    [{ replicas: 3, autoscaling: { minReplicas: 1, maxReplicas: 4 } }, false],
    [{ replicas: 2, autoscaling: { minReplicas: 2, maxReplicas: 4 } }, true],
  ])("%j → PDB %s", (overrides, isExpected) => {
    const pdb = buildModelPdb(deploymentInput(overrides));
    expect(pdb !== undefined).toBe(isExpected);
    if (pdb) {
      validateManifest(pdb);
      expect(pdb.spec?.maxUnavailable).toBe(1);
    }
  });
});

describe("ServiceMonitor", () => {
  it("scrapes /metrics on the http port, with extra labels for the Prometheus selector", () => {
    const monitor = buildModelServiceMonitor(
      deploymentInput({ monitoring: { labels: { release: "kube-prometheus-stack" } } }),
    );
    if (!monitor) throw new Error("expected a ServiceMonitor");
    validateManifest(monitor);
    expect(monitor.metadata?.labels?.release).toBe("kube-prometheus-stack");
    expect(monitor.spec.endpoints).toEqual([
      { port: "http", path: "/metrics", interval: "15s", honorLabels: true },
    ]);
    expect(monitor.spec.selector.matchLabels?.["kubeserve.io/deployment-id"]).toBe(ids.deployment);
    expect(
      buildModelServiceMonitor(deploymentInput({ monitoring: { serviceMonitor: false } })),
    ).toBeUndefined();
  });
});

describe("artifact token Secret", () => {
  it("holds the token base64-encoded under the key the init container reads", () => {
    const secret = buildArtifactTokenSecret(deploymentInput(), "kst_0123456789abcdef0123");
    validateManifest(secret);
    expect(secret.metadata?.name).toBe(`${name}-token`);
    expect(secret.metadata?.namespace).toBe(namespaceForUser(ids.user));
    expect(Buffer.from(secret.data?.token ?? "", "base64").toString()).toBe(
      "kst_0123456789abcdef0123",
    );
  });

  it("holds the replica token under its own key when the spec names one, and refuses a missing one", () => {
    const input = deploymentInput({
      artifact: { ...deploymentInput().artifact, replicaTokenSecretKey: "replica-token" },
    });
    const secret = buildArtifactTokenSecret(
      input,
      "kst_0123456789abcdef0123",
      "ksp_replica_0123456789abcdef",
    );
    validateManifest(secret);
    expect(Object.keys(secret.data ?? {})).toEqual(["token", "replica-token"]);
    expect(Buffer.from(secret.data?.["replica-token"] ?? "", "base64").toString()).toBe(
      "ksp_replica_0123456789abcdef",
    );
    expect(() => buildArtifactTokenSecret(input, "kst_0123456789abcdef0123")).toThrow(
      /replica token must be 16–4096 printable/,
    );
  });

  it("refuses an empty or non-printable token", () => {
    expect(() => buildArtifactTokenSecret(deploymentInput(), "")).toThrow(/16–4096 printable/);
    expect(() => buildArtifactTokenSecret(deploymentInput(), "short")).toThrow(/16–4096 printable/);
    expect(() => buildArtifactTokenSecret(deploymentInput(), "a".repeat(20) + "\n")).toThrow(
      /16–4096 printable/,
    );
  });
});
