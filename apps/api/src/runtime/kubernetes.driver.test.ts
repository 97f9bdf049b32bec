import {
  artifactTokenSecretName,
  deploymentResourceName,
  deploymentSelector,
  FIELD_MANAGER,
  LABEL,
  namespaceForUser,
} from "@kubeserve/k8s";
import { waitFor } from "@kubeserve/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import {
  apiToken,
  artifactToken,
  desired,
  ids,
  markRolledOut,
  podObject,
  readyPodStatus,
  replicaToken,
  startHarness,
  target,
  type THarness,
} from "./kubernetes-fixtures";

// The kubernetes driver against the fake API server in kubernetes-fake-api.ts (its header says what
// the fake does and does not check). These tests check the exact requests the driver sends (paths,
// field manager, content type, labels, apply bodies), its handling of 403/409/422/500, delete by
// label and logs. Nothing here ran against a real cluster.

const ns = namespaceForUser(ids.user);
const name = deploymentResourceName(ids.deployment);

type TBody = {
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
};

let h: THarness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

const patches = () => h.fake.requests.filter((r) => r.method === "PATCH");

async function applyAndRollOut(replicas = 2) {
  const applying = h.driver.apply(desired({ replicas }));
  await waitFor(() => h.fake.get("apps/v1", "Deployment", ns, name), {
    what: "Deployment applied",
  });
  for (let i = 0; i < replicas; i++) {
    h.fake.put(podObject(ns, `${name}-7d9f8-${i}`, ids.deployment, ids.version, readyPodStatus()));
  }
  markRolledOut(h.fake, ns, name, replicas);
  await applying;
}

describe("kubernetes driver: apply", () => {
  it("applies the tenant objects, then the deployment's, by server-side apply with one field manager", async () => {
    await applyAndRollOut();
    const paths = patches().map((r) => r.path);
    expect(paths).toEqual([
      `/api/v1/namespaces/${ns}`,
      `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings/kubeserve-driver`,
      `/api/v1/namespaces/${ns}/resourcequotas/kubeserve-quota`,
      `/api/v1/namespaces/${ns}/limitranges/kubeserve-limits`,
      `/apis/networking.k8s.io/v1/namespaces/${ns}/networkpolicies/kubeserve-isolation`,
      `/api/v1/namespaces/${ns}/secrets/${artifactTokenSecretName(ids.deployment)}`,
      `/api/v1/namespaces/${ns}/services/${name}`,
      `/apis/apps/v1/namespaces/${ns}/deployments/${name}`,
      `/apis/policy/v1/namespaces/${ns}/poddisruptionbudgets/${name}`,
      `/apis/monitoring.coreos.com/v1/namespaces/${ns}/servicemonitors/${name}`,
    ]);
    // Every request carries the kubeconfig's credentials (the fake checks none itself).
    expect(new Set(h.fake.requests.map((r) => r.authorization))).toEqual(
      new Set([`Bearer ${apiToken}`]),
    );
    for (const patch of patches()) {
      expect(patch.contentType).toBe("application/apply-patch+yaml");
      expect(patch.query.get("fieldManager")).toBe(FIELD_MANAGER);
      expect(patch.query.get("force")).toBe("false");
    }
    const bodies = patches().map((r) => parseYaml(r.body) as TBody);
    for (const body of bodies.slice(5)) {
      expect(body.metadata.labels).toMatchObject({
        [LABEL.managedBy]: "kubeserve",
        [LABEL.ownerId]: ids.user,
        [LABEL.modelId]: ids.model,
        [LABEL.versionId]: ids.version,
        [LABEL.deploymentId]: ids.deployment,
      });
    }
    const deployment = bodies.find((b) => b.kind === "Deployment");
    expect(deployment?.spec).toMatchObject({
      replicas: 2,
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
    });
    const container = (
      deployment?.spec as { template: { spec: { containers: Array<Record<string, unknown>> } } }
    ).template.spec.containers[0];
    expect(container?.resources).toEqual({
      requests: { cpu: "250m", memory: "256Mi" },
      limits: { cpu: "500m", memory: "512Mi" },
    });
    // The read token is only in the deployment's own Secret: no other request carries it.
    const secret = bodies.find((b) => b.kind === "Secret");
    expect(Buffer.from(secret?.data?.token ?? "", "base64").toString()).toBe(artifactToken);
    expect(Buffer.from(secret?.data?.["replica-token"] ?? "", "base64").toString()).toBe(
      replicaToken,
    );
    const carriers = h.fake.requests.filter(
      (r) =>
        [artifactToken, replicaToken, secret?.data?.token ?? "?"].some((t) => r.body.includes(t)) ||
        r.body.includes(secret?.data?.["replica-token"] ?? "?"),
    );
    expect(carriers.map((r) => r.path)).toEqual([
      `/api/v1/namespaces/${ns}/secrets/${artifactTokenSecretName(ids.deployment)}`,
    ]);
    // Quota pre-flight happens before the Deployment is applied; objects this spec does not want are pruned.
    const quotaRead = h.fake.requests.findIndex(
      (r) => r.method === "GET" && r.path.endsWith("/resourcequotas/kubeserve-quota"),
    );
    const deploymentPatch = h.fake.requests.findIndex(
      (r) => r.method === "PATCH" && r.path.includes("/deployments/"),
    );
    expect(quotaRead).toBeGreaterThan(-1);
    expect(quotaRead).toBeLessThan(deploymentPatch);
    expect(h.fake.requests.filter((r) => r.method === "DELETE").map((r) => r.path)).toEqual([
      `/apis/autoscaling/v2/namespaces/${ns}/horizontalpodautoscalers/${name}`,
      `/apis/gateway.networking.k8s.io/v1/namespaces/${ns}/httproutes/${name}`,
      `/apis/networking.k8s.io/v1/namespaces/kubeserve/ingresses/${name}`,
    ]);
    const status = h.driver.status(ids.deployment);
    expect(status.phase).toBe("running");
    expect(status.replicas.map((r) => r.state)).toEqual(["ready", "ready"]);
    expect(h.driver.endpoints(ids.deployment)).toEqual([
      {
        replicaId: name,
        deploymentId: ids.deployment,
        origin: `http://${name}.${ns}.svc.cluster.local:8080`,
        token: replicaToken,
        generation: 1,
      },
    ]);
  });

  it("applies the tenant objects once per process, and a second deployment only its own objects", async () => {
    await applyAndRollOut(1);
    h.fake.requests.length = 0;
    h.targets.set(
      ids.otherDeployment,
      target({ artifactUrl: "http://kubeserve-api.kubeserve.svc:4000/a" }),
    );
    // Left settling in the background (its fake never reports ready); closing the harness ends it.
    void h.driver
      .apply(desired({ id: ids.otherDeployment, name: "iris-canary", replicas: 1 }))
      .catch(() => undefined);
    const other = deploymentResourceName(ids.otherDeployment);
    await waitFor(() => h.fake.get("apps/v1", "Deployment", ns, other), {
      what: "second Deployment",
    });
    expect(patches().every((r) => r.path.includes(other))).toBe(true);
  });

  it("refuses a deploy the namespace quota cannot hold, before applying anything of it", async () => {
    h.fake.put({
      apiVersion: "v1",
      kind: "ResourceQuota",
      metadata: { name: "kubeserve-quota", namespace: ns },
      spec: { hard: { pods: "5" } },
      status: {
        hard: {
          pods: "5",
          "requests.cpu": "2",
          "requests.memory": "4Gi",
          "limits.cpu": "2",
          "limits.memory": "4Gi",
        },
        used: {
          pods: "4",
          "requests.cpu": "1",
          "requests.memory": "1Gi",
          "limits.cpu": "1",
          "limits.memory": "1Gi",
        },
      },
    });
    await expect(h.driver.apply(desired({ replicas: 2 }))).rejects.toThrow(
      "QuotaExceeded: deployment iris-prod does not fit the namespace quota — pods: needs 2, 1 of 5 left (4 in use)",
    );
    expect(
      h.fake.requests.some((r) => r.path.includes("/deployments/") && r.method === "PATCH"),
    ).toBe(false);
    expect(h.driver.status(ids.deployment)).toMatchObject({
      phase: "failed",
      reason: expect.stringMatching(/^QuotaExceeded: .*pods: needs 2/),
    });
  });

  it("rejects bad input before any request", async () => {
    await expect(h.driver.apply(desired({ name: "Not_A_Label" }))).rejects.toThrow(
      /deploymentName: Deployment name must be/,
    );
    await expect(h.driver.apply(desired({ replicas: -1 }))).rejects.toThrow(
      /replicas: must not be negative/,
    );
    await expect(
      h.driver.apply(desired({ resources: { cpuRequest: "2", cpuLimit: "1" } })),
    ).rejects.toThrow(/limit 1 is below the request 2/);
    expect(h.fake.requests).toEqual([]);
  });
});

describe("kubernetes driver: API server errors", () => {
  it("retries 500 with backoff and then succeeds", async () => {
    h.fake.failNext({
      method: "PATCH",
      pathIncludes: "/deployments/",
      code: 500,
      reason: "InternalError",
      message: "etcdserver: leader changed",
      times: 2,
    });
    await applyAndRollOut(1);
    expect(patches().filter((r) => r.path.includes("/deployments/"))).toHaveLength(3);
  });

  it("retries a 409 apply conflict, then fails naming the other field manager; force takes the fields over", async () => {
    h.fake.setOwner("apps/v1", "Deployment", ns, name, "kubectl-edit");
    await expect(h.driver.apply(desired({ replicas: 1 }))).rejects.toThrow(
      /409 Conflict to apply Deployment .*conflict with "kubectl-edit".*KUBERNETES_FORCE_APPLY=true/,
    );
    const attempts = patches().filter((r) => r.path.includes("/deployments/"));
    expect(attempts).toHaveLength(5);
    expect(attempts.every((r) => r.query.get("force") === "false")).toBe(true);
    expect(h.driver.status(ids.deployment).phase).toBe("failed");
    await h.close();

    h = await startHarness({ KUBERNETES_FORCE_APPLY: "true" });
    h.fake.setOwner("apps/v1", "Deployment", ns, name, "kubectl-edit");
    await applyAndRollOut(1);
    expect(patches().every((r) => r.query.get("force") === "true")).toBe(true);
  });

  it("fails at once on 403 and 422 with the API server's message", async () => {
    const forbidden = `deployments.apps "${name}" is forbidden: User "system:serviceaccount:kubeserve:kubeserve-api" cannot patch resource "deployments" in API group "apps" in the namespace "${ns}"`;
    h.fake.failNext({
      method: "PATCH",
      pathIncludes: "/deployments/",
      code: 403,
      reason: "Forbidden",
      message: forbidden,
    });
    await expect(h.driver.apply(desired({ replicas: 1 }))).rejects.toThrow(
      `(403 Forbidden): ${forbidden}`,
    );
    expect(patches().filter((r) => r.path.includes("/deployments/"))).toHaveLength(1);
    expect(h.driver.status(ids.deployment).reason).toContain("lacks this permission");

    const invalid = `Deployment.apps "${name}" is invalid: spec.template.spec.containers[0].image: Required value`;
    h.fake.failNext({
      method: "PATCH",
      pathIncludes: "/deployments/",
      code: 422,
      reason: "Invalid",
      message: invalid,
    });
    await expect(h.driver.apply(desired({ replicas: 1 }))).rejects.toThrow(
      `as invalid (422): ${invalid}`,
    );
    expect(patches().filter((r) => r.path.includes("/deployments/"))).toHaveLength(2);
  });
});

describe("kubernetes driver: scale, stop, logs, delete, endpoints", () => {
  it("scales and stops by re-applying the whole Deployment (replicas 0 prunes the PDB)", async () => {
    await applyAndRollOut(2);
    h.fake.requests.length = 0;
    void h.driver.scale(ids.deployment, 3).catch(() => undefined);
    await waitFor(() => patches().find((r) => r.path.includes("/deployments/")), {
      what: "scale patch",
    });
    const scaled = parseYaml(
      patches().find((r) => r.path.includes("/deployments/"))?.body ?? "",
    ) as TBody;
    expect(scaled.spec).toMatchObject({ replicas: 3 });
    expect(scaled.spec?.template).toBeDefined();

    h.fake.requests.length = 0;
    const stopping = h.driver.stop(ids.deployment);
    await waitFor(
      () =>
        h.fake.requests.find(
          (r) => r.method === "DELETE" && r.path.includes("poddisruptionbudgets"),
        ),
      { what: "PDB pruned" },
    );
    const stopped = parseYaml(
      patches().find((r) => r.path.includes("/deployments/"))?.body ?? "",
    ) as TBody;
    expect(stopped.spec).toMatchObject({ replicas: 0 });
    for (let i = 0; i < 2; i++) {
      const pod = h.fake.get("v1", "Pod", ns, `${name}-7d9f8-${i}`);
      if (pod)
        await fetch(`${h.fake.url}/api/v1/namespaces/${ns}/pods/${pod.metadata.name}`, {
          method: "DELETE",
        });
    }
    await stopping;
    expect(h.driver.status(ids.deployment).phase).toBe("stopped");
    expect(h.driver.endpoints(ids.deployment)).toEqual([]);
  });

  it("reads logs through the pods log API of the model-server container", async () => {
    await applyAndRollOut(1);
    h.fake.setPodLog(
      ns,
      `${name}-7d9f8-0`,
      '{"msg":"loading"}\n{"msg":"listening","port":8080}\n{"msg":"ready"}\n',
    );
    const logs = await h.driver.logs(ids.deployment, 2);
    expect(logs).toEqual([
      {
        replicaId: `${name}-7d9f8-0`,
        lines: ['{"msg":"listening","port":8080}', '{"msg":"ready"}'],
      },
    ]);
    const request = h.fake.requests.find((r) => r.path.endsWith("/log"));
    expect(request?.path).toBe(`/api/v1/namespaces/${ns}/pods/${name}-7d9f8-0/log`);
    expect(request?.query.get("container")).toBe("model-server");
    expect(request?.query.get("tailLines")).toBe("2");
  });

  it("deletes by label selection, only this deployment's objects", async () => {
    await applyAndRollOut(2);
    h.targets.set(ids.otherDeployment, target());
    // Left settling in the background (its fake never reports ready); closing the harness ends it.
    void h.driver
      .apply(desired({ id: ids.otherDeployment, name: "iris-canary", replicas: 1 }))
      .catch(() => undefined);
    const other = deploymentResourceName(ids.otherDeployment);
    await waitFor(() => h.fake.get("monitoring.coreos.com/v1", "ServiceMonitor", ns, other), {
      what: "other deployment",
    });
    // The other deployment's prune (its last step) must be over before this test's requests are counted.
    await waitFor(
      () =>
        h.fake.requests.find(
          (r) => r.method === "DELETE" && r.path.endsWith(`/ingresses/${other}`),
        ),
      { what: "other deployment pruned" },
    );
    h.fake.requests.length = 0;
    await h.driver.delete(ids.deployment);
    const lists = h.fake.requests.filter(
      (r) => r.method === "GET" && r.query.has("labelSelector") && !r.query.has("watch"),
    );
    expect(lists.map((r) => r.query.get("labelSelector"))).toEqual(
      Array(7).fill(deploymentSelector(ids.deployment)),
    );
    expect(lists.at(-1)?.path).toBe("/apis/networking.k8s.io/v1/namespaces/kubeserve/ingresses");
    const deletes = h.fake.requests.filter((r) => r.method === "DELETE").map((r) => r.path);
    expect(deletes).toEqual([
      `/apis/apps/v1/namespaces/${ns}/deployments/${name}`,
      `/api/v1/namespaces/${ns}/services/${name}`,
      `/apis/policy/v1/namespaces/${ns}/poddisruptionbudgets/${name}`,
      `/apis/monitoring.coreos.com/v1/namespaces/${ns}/servicemonitors/${name}`,
      `/api/v1/namespaces/${ns}/secrets/${artifactTokenSecretName(ids.deployment)}`,
    ]);
    const left = h.fake.all().filter((o) => o.metadata.labels?.[LABEL.deploymentId]);
    expect(new Set(left.map((o) => o.metadata.labels?.[LABEL.deploymentId]))).toEqual(
      new Set([ids.otherDeployment, ids.deployment]),
    );
    // Only the Pods (the ReplicaSet controller's, not ours to delete) of the deleted deployment remain.
    expect(
      left
        .filter((o) => o.metadata.labels?.[LABEL.deploymentId] === ids.deployment)
        .map((o) => o.kind),
    ).toEqual(["Pod", "Pod"]);
    expect(h.driver.status(ids.deployment).phase).toBe("absent");
  });

  it("outside the cluster, routes through the API server's service proxy with the kubeconfig's token", async () => {
    await h.close();
    h = await startHarness({ KUBERNETES_ENDPOINTS: "service-proxy" });
    expect(h.driver.endpoints(ids.deployment)).toEqual([]);
    await applyAndRollOut(1);
    expect(h.driver.endpoints(ids.deployment)).toEqual([
      {
        replicaId: name,
        deploymentId: ids.deployment,
        origin: h.fake.url,
        pathPrefix: `/api/v1/namespaces/${ns}/services/${name}:http/proxy`,
        // The API server consumes Authorization; the replica token rides in its own header.
        headers: { authorization: `Bearer ${apiToken}`, "x-kubeserve-token": replicaToken },
        connect: undefined,
        token: replicaToken,
        generation: 1,
      },
    ]);
  });
});
