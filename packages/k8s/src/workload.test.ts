import { describe, expect, it } from "vitest";
import type { IContainer } from "kubernetes-models/v1/Container";
import { LABEL } from "./labels";
import { buildModelDeploymentManifests } from "./manifests";
import { deploymentResourceName, namespaceForUser } from "./names";
import { deploymentInput, ids, sha256 } from "./testing/fixtures";
import { validateManifest } from "./testing/validate";
import { buildModelDeployment, runtimeImageFor } from "./workload";

function envOf(container: IContainer | undefined): Record<string, string | undefined> {
  return Object.fromEntries((container?.env ?? []).map((e) => [e.name, e.value]));
}

describe("model Deployment", () => {
  const deployment = buildModelDeployment(deploymentInput());
  const pod = deployment.spec?.template.spec;
  const [fetch] = pod?.initContainers ?? [];
  const [server] = pod?.containers ?? [];

  it("validates and is named from the deployment id in the user's namespace", () => {
    validateManifest(deployment);
    expect(deployment.metadata?.name).toBe(deploymentResourceName(ids.deployment));
    expect(deployment.metadata?.namespace).toBe(namespaceForUser(ids.user));
    expect(deployment.metadata?.annotations?.["kubeserve.io/deployment-name"]).toBe("iris-prod");
  });

  it("fetches the artifact with the per-deployment token from its Secret, never a bucket credential", () => {
    expect(fetch?.name).toBe("fetch-model");
    expect(fetch?.command).toEqual([
      "kubeserve-inference",
      "fetch",
      "--url",
      `http://kubeserve-api.kubeserve.svc:4000/api/v1/deployments/${ids.deployment}/artifact?version=${ids.version}`,
      "--sha256",
      sha256,
      "--out",
      "/models/model.onnx",
    ]);
    expect(fetch?.env).toEqual([
      {
        name: "KUBESERVE_MODEL_TOKEN",
        valueFrom: {
          secretKeyRef: { name: `${deploymentResourceName(ids.deployment)}-token`, key: "token" },
        },
      },
    ]);
    const everyEnv = [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])].flatMap(
      (c) => c.env ?? [],
    );
    expect(
      everyEnv.map((e) => e.name).filter((name) => /S3_|ACCESS_KEY|SECRET_KEY/.test(name)),
    ).toEqual([]);
    // The token is only in the init container, not in the serving process.
    expect(server?.env?.some((e) => e.name === "KUBESERVE_MODEL_TOKEN")).toBe(false);
  });

  it("gives the server the replica token from the Secret (never a literal) and opens only health to probes", () => {
    const input = deploymentInput({
      artifact: { ...deploymentInput().artifact, replicaTokenSecretKey: "replica-token" },
    });
    const built = buildModelDeployment(input);
    validateManifest(built);
    const podSpec = built.spec?.template.spec;
    const main = podSpec?.containers[0];
    expect(main?.env?.find((e) => e.name === "KUBESERVE_AUTH_TOKEN")).toEqual({
      name: "KUBESERVE_AUTH_TOKEN",
      valueFrom: {
        secretKeyRef: {
          name: `${deploymentResourceName(ids.deployment)}-token`,
          key: "replica-token",
        },
      },
    });
    expect(envOf(main).KUBESERVE_PUBLIC_HEALTH).toBe("true");
    expect(main?.readinessProbe?.httpGet?.path).toBe("/v2/health/ready");
    // Init containers get the read token only, the server the replica token only.
    for (const init of podSpec?.initContainers ?? []) {
      expect(init.env?.some((e) => e.name === "KUBESERVE_AUTH_TOKEN")).toBe(false);
    }
    expect(server?.env?.some((e) => e.name === "KUBESERVE_AUTH_TOKEN")).toBe(false);
  });

  it("serves the model read-only with the contract's KUBESERVE_* environment", () => {
    expect(server?.image).toBe("kubeserve/inference:latest");
    expect(server?.command).toBeUndefined();
    expect(envOf(server)).toEqual({
      KUBESERVE_MODEL: "/models/model.onnx",
      KUBESERVE_MODEL_NAME: "iris",
      KUBESERVE_MODEL_VERSION: "v1",
      KUBESERVE_MODEL_SHA256: sha256,
      KUBESERVE_DEPLOYMENT: ids.deployment,
      KUBESERVE_HOST: "0.0.0.0",
      KUBESERVE_PORT: "8080",
      KUBESERVE_BATCHING: "auto",
      KUBESERVE_LOG_LEVEL: "info",
      KUBESERVE_MODEL_CACHE_DIR: "/tmp/model-cache",
      KUBESERVE_INTRA_OP_THREADS: "1",
    });
    expect(server?.volumeMounts).toContainEqual({
      name: "models",
      mountPath: "/models",
      readOnly: true,
    });
    expect(server?.ports).toEqual([{ name: "http", containerPort: 8080, protocol: "TCP" }]);
  });

  it("passes batching options through", () => {
    const built = buildModelDeployment(
      deploymentInput({
        batching: {
          mode: "on",
          maxBatchSize: 64,
          maxQueueDelayMs: 2,
          maxQueueSize: 100,
          maxQueueBytes: 1_048_576,
        },
      }),
    );
    expect(envOf(built.spec?.template.spec?.containers[0])).toMatchObject({
      KUBESERVE_BATCHING: "on",
      KUBESERVE_MAX_BATCH_SIZE: "64",
      KUBESERVE_MAX_QUEUE_DELAY_MS: "2",
      KUBESERVE_MAX_QUEUE_SIZE: "100",
      KUBESERVE_MAX_QUEUE_BYTES: "1048576",
    });
  });

  it("is hardened: non-root 10001, read-only root, no capabilities, RuntimeDefault seccomp, no SA token", () => {
    expect(pod?.automountServiceAccountToken).toBe(false);
    expect(pod?.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 10001,
      seccompProfile: { type: "RuntimeDefault" },
    });
    for (const container of [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])]) {
      expect(container.securityContext).toMatchObject({
        runAsNonRoot: true,
        runAsUser: 10001,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ["ALL"] },
        seccompProfile: { type: "RuntimeDefault" },
      });
      expect(container.resources?.requests).toBeDefined();
      expect(container.resources?.limits).toBeDefined();
    }
  });

  it("probes the V2 health endpoints and rolls out with no unavailable replica", () => {
    expect(server?.livenessProbe?.httpGet).toMatchObject({ path: "/v2/health/live", port: "http" });
    expect(server?.readinessProbe?.httpGet).toMatchObject({
      path: "/v2/health/ready",
      port: "http",
    });
    expect(deployment.spec?.strategy).toEqual({
      type: "RollingUpdate",
      rollingUpdate: { maxUnavailable: 0, maxSurge: 1 },
    });
    expect(server?.resources).toEqual({
      requests: { cpu: "250m", memory: "512Mi" },
      limits: { cpu: "1", memory: "1Gi" },
    });
  });

  it("selects pods by deployment id only, so a version update keeps the (immutable) selector", () => {
    const v2 = buildModelDeployment(deploymentInput({ versionId: ids.model, versionTag: "v2" }));
    expect(v2.spec?.selector).toEqual(deployment.spec?.selector);
    expect(deployment.spec?.selector.matchLabels).toEqual({
      [LABEL.component]: "model-server",
      [LABEL.deploymentId]: ids.deployment,
    });
    expect(v2.spec?.template.metadata?.labels?.[LABEL.version]).toBe("v2");
  });

  it("leaves replicas to the HPA when autoscaling, and sets 0 when stopped", () => {
    const auto = buildModelDeployment(
      deploymentInput({ replicas: 2, autoscaling: { minReplicas: 2, maxReplicas: 5 } }),
    );
    expect(auto.spec?.replicas).toBeUndefined();
    const stopped = buildModelDeployment(
      deploymentInput({ replicas: 0, autoscaling: { minReplicas: 1, maxReplicas: 5 } }),
    );
    expect(stopped.spec?.replicas).toBe(0);
    expect(deployment.spec?.replicas).toBe(1);
  });
});

describe("scikit-learn Deployment", () => {
  const input = deploymentInput({
    framework: "sklearn",
    requirements: {
      url: "http://kubeserve-api.kubeserve.svc:4000/req",
      sha256: "b".repeat(64),
      packageIndexUrl: "https://pypi.internal/simple",
    },
  });
  const pod = buildModelDeployment(input).spec?.template.spec;

  it("runs the runtime image from runtimeImageFor, fetching with the Python fetch command", () => {
    expect(runtimeImageFor({ framework: "sklearn" }, { onnx: "a", sklearn: "b" })).toBe("b");
    expect(runtimeImageFor({ framework: "onnx" }, { onnx: "a", sklearn: "b" })).toBe("a");
    expect(pod?.containers[0]?.image).toBe("kubeserve/runtime-sklearn:latest");
    expect(pod?.initContainers?.[0]?.command?.slice(0, 4)).toEqual([
      "python3",
      "-m",
      "kubeserve_sklearn",
      "fetch",
    ]);
    expect(pod?.initContainers?.[0]?.command?.at(-1)).toBe("/models/model.joblib");
  });

  it("installs the requirements layer into an emptyDir in a second step, and serves from that venv", () => {
    expect(pod?.initContainers?.map((c) => c.name)).toEqual([
      "fetch-model",
      "fetch-requirements",
      "install-requirements",
    ]);
    const install = pod?.initContainers?.[2];
    expect(install?.command).toEqual([
      "python3",
      "-m",
      "kubeserve_sklearn.venv",
      "--requirements",
      "/models/requirements.txt",
      "--target",
      "/opt/kubeserve/venv",
    ]);
    expect(envOf(install).PIP_INDEX_URL).toBe("https://pypi.internal/simple");
    expect(pod?.volumes).toContainEqual({ name: "venv", emptyDir: { sizeLimit: "2Gi" } });
    expect(pod?.containers[0]?.command).toEqual([
      "/opt/kubeserve/venv/bin/python3",
      "-m",
      "kubeserve_sklearn",
    ]);
    expect(pod?.containers[0]?.volumeMounts).toContainEqual({
      name: "venv",
      mountPath: "/opt/kubeserve/venv",
      readOnly: true,
    });
  });

  it("has no requirements step without requirements", () => {
    const plain = buildModelDeployment(deploymentInput({ framework: "sklearn" })).spec?.template
      .spec;
    expect(plain?.initContainers?.map((c) => c.name)).toEqual(["fetch-model"]);
    expect(plain?.containers[0]?.command).toBeUndefined();
  });
});

describe("every manifest of a deployment", () => {
  it.each([
    ["defaults", deploymentInput()],
    [
      "autoscaled with an HTTPRoute",
      deploymentInput({
        replicas: 2,
        autoscaling: { minReplicas: 2, maxReplicas: 6 },
        routing: {
          kind: "httproute",
          parentRefs: [{ name: "public", namespace: "gateways" }],
          hostnames: ["models.example.com"],
          pathPrefix: "/iris",
        },
      }),
    ],
    [
      "three replicas with an Ingress",
      deploymentInput({
        replicas: 3,
        routing: {
          kind: "ingress",
          className: "traefik",
          host: "models.example.com",
          tlsSecretName: "models-tls",
        },
      }),
    ],
    ["stopped", deploymentInput({ replicas: 0, monitoring: { serviceMonitor: false } })],
    [
      "sklearn with requirements",
      deploymentInput({
        framework: "sklearn",
        requirements: { url: "http://api/req", sha256: "c".repeat(64) },
      }),
    ],
  ])(
    "validate against the Kubernetes, Gateway API and prometheus-operator schemas (%s)",
    (_what, input) => {
      const { apply } = buildModelDeploymentManifests(input);
      for (const object of apply) validateManifest(object);
    },
  );

  it("carries the app.kubernetes.io and owner/model/version/deployment labels on every object", () => {
    const { apply } = buildModelDeploymentManifests(
      deploymentInput({
        replicas: 3,
        routing: { kind: "httproute", parentRefs: [{ name: "public" }] },
      }),
    );
    expect(apply.map((o) => o.kind)).toEqual([
      "Service",
      "Deployment",
      "PodDisruptionBudget",
      "ServiceMonitor",
      "HTTPRoute",
    ]);
    for (const object of apply) {
      expect(object.metadata?.labels).toEqual({
        [LABEL.name]: "iris",
        [LABEL.instance]: deploymentResourceName(ids.deployment),
        [LABEL.version]: "v1",
        [LABEL.component]: "model-server",
        [LABEL.partOf]: "kubeserve",
        [LABEL.managedBy]: "kubeserve",
        [LABEL.ownerId]: ids.user,
        [LABEL.modelId]: ids.model,
        [LABEL.versionId]: ids.version,
        [LABEL.deploymentId]: ids.deployment,
      });
    }
  });

  it("lists what must be pruned when a spec no longer needs it", () => {
    const { apply, prune } = buildModelDeploymentManifests(deploymentInput());
    expect(apply.map((o) => o.kind)).toEqual(["Service", "Deployment", "ServiceMonitor"]);
    expect(prune.map((ref) => ref.kind)).toEqual([
      "HorizontalPodAutoscaler",
      "PodDisruptionBudget",
      "HTTPRoute",
      "Ingress",
    ]);
    expect(prune.find((ref) => ref.kind === "Ingress")?.namespace).toBe("kubeserve");
  });
});
