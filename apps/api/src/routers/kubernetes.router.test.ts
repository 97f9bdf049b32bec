import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  artifactTokenSecretName,
  deploymentResourceName,
  LABEL,
  namespaceForUser,
} from "@kubeserve/k8s";
import { waitFor } from "@kubeserve/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runFakePod, type TFakePod } from "../runtime/kubernetes-fake-kubelet";
import { startFakeKubeApi, type TFakeKubeApi } from "../runtime/kubernetes-fake-api";
import { waitForStatus } from "../test/deployments";
import { irisModelPath } from "../test/fixtures";
import {
  createHarness,
  failureOf,
  startHttp,
  type THarness,
  type THttpServer,
} from "../test/harness";
import { seedReadyVersion } from "../test/ready-version";

// deployment.create with runtime kubernetes, end to end on this machine: createDeps builds the driver from
// KUBERNETES_* config (a kubeconfig file pointing at the fake API server), the objects land in the fake,
// a stand-in kubelet (kubernetes-fake-kubelet.ts) runs the pod from them with the real model server, and
// predictions go through the gateway and the API server's service proxy to it. No real cluster ran this.

const apiToken = "kubeconfig-user-token";
const infer = {
  inputs: [{ name: "input", shape: [1, 4], datatype: "FP32", data: [5.1, 3.5, 1.4, 0.2] }],
};

describe("deployment router → kubernetes runtime (fake API server, service proxy)", () => {
  let fake: TFakeKubeApi;
  let h: THarness;
  let http: THttpServer;
  const pods: Array<TFakePod & { secret: string; namespace: string }> = [];
  beforeAll(async () => {
    fake = await startFakeKubeApi();
    const dir = mkdtempSync(path.join(tmpdir(), "ks-k8s-router-"));
    const kubeconfig = path.join(dir, "kubeconfig");
    writeFileSync(
      kubeconfig,
      [
        "apiVersion: v1",
        "kind: Config",
        // client-node refuses a plain-http server unless TLS checks are off (there is no TLS to check).
        `clusters: [{name: fake, cluster: {server: '${fake.url}', insecure-skip-tls-verify: true}}]`,
        `users: [{name: me, user: {token: ${apiToken}}}]`,
        "contexts: [{name: fake, context: {cluster: fake, user: me}}]",
        "current-context: fake",
      ].join("\n"),
    );
    h = await createHarness("postgres", {
      KUBERNETES_ENABLED: "true",
      KUBERNETES_CONFIG_MODE: "kubeconfig",
      KUBERNETES_KUBECONFIG: kubeconfig,
      KUBERNETES_ENDPOINTS: "service-proxy",
      KUBERNETES_RETRY_BACKOFF_MS: "5",
      KUBERNETES_WATCH_BACKOFF_MS: "20",
    });
    http = await startHttp(h);
  });
  afterAll(async () => {
    for (const pod of pods) await pod.stop();
    await http?.close();
    await h?.deps.runtimes.close();
    await h?.destroy();
    await fake?.close();
  });

  async function deployOnKubernetes(label: string) {
    const user = await h.signUp(label);
    const model = await user.api.model.create({ name: "iris" });
    const version = await user.api.version.create({
      modelId: model.id,
      tag: "v1",
      framework: "onnx",
    });
    await seedReadyVersion(h.deps, { userId: user.userId, versionId: version.id });
    const deployment = await user.api.deployment.create({
      versionId: version.id,
      name: `${label}-iris`,
      runtime: "kubernetes",
      replicas: 1,
      autoscaling: { minReplicas: 1, maxReplicas: 3, targetInFlight: 4 },
    });
    const { secret: key } = await user.api.apiKey.create({ name: "predict" });
    return { user, version, deployment, key };
  }

  it("is enabled by KUBERNETES_ENABLED", () => {
    expect(h.deps.runtimes.kinds).toEqual(["local", "kubernetes"]);
  });

  it("create → tenant and deployment objects in the fake → pod ready → running → prediction through the proxy", async () => {
    const { user, version, deployment, key } = await deployOnKubernetes("kube");
    expect(deployment.runtime).toBe("kubernetes");
    const ns = namespaceForUser(user.userId);
    const name = deploymentResourceName(deployment.id);
    // The HPA is applied after the Deployment: once it is there, every object is.
    await waitFor(() => fake.get("autoscaling/v2", "HorizontalPodAutoscaler", ns, name), {
      what: "Deployment and HPA applied",
    }).catch(async (error: Error) => {
      const { status, statusMessage } = await user.api.deployment.get({ id: deployment.id });
      throw new Error(`${error.message}; deployment is ${status}: ${statusMessage}`);
    });
    expect(fake.get("v1", "Namespace", undefined, ns)?.metadata.labels).toMatchObject({
      [LABEL.ownerId]: user.userId,
    });
    for (const [apiVersion, kind, objectName] of [
      ["v1", "ResourceQuota", "kubeserve-quota"],
      ["v1", "LimitRange", "kubeserve-limits"],
      ["networking.k8s.io/v1", "NetworkPolicy", "kubeserve-isolation"],
      ["v1", "Secret", artifactTokenSecretName(deployment.id)],
      ["v1", "Service", name],
      ["autoscaling/v2", "HorizontalPodAutoscaler", name],
    ] as const) {
      expect(fake.get(apiVersion, kind, ns, objectName), `${kind} ${objectName}`).toBeDefined();
    }
    expect(fake.get("apps/v1", "Deployment", ns, name)?.metadata.labels).toMatchObject({
      [LABEL.deploymentId]: deployment.id,
      [LABEL.versionId]: version.id,
    });
    expect((await user.api.deployment.get({ id: deployment.id })).status).toBe("deploying");

    const pod = await runFakePod({
      fake,
      namespace: ns,
      name,
      cli: h.config.runtime.inferenceCli,
      apiOrigin: http.url,
      dir: mkdtempSync(path.join(tmpdir(), "ks-k8s-pod-")),
    });
    pods.push({ ...pod, secret: artifactTokenSecretName(deployment.id), namespace: ns });
    // The init container fetched the artifact with the Secret's read token and checked its sha256.
    const sha = createHash("sha256").update(readFileSync(irisModelPath)).digest("hex");
    expect(fake.get("apps/v1", "Deployment", ns, name)?.spec).toMatchObject({
      template: { metadata: { annotations: { "kubeserve.io/artifact-sha256": sha } } },
    });
    await waitForStatus(h, user, deployment.id, "running");

    const predict = (credential?: string) =>
      fetch(`${http.url}/api/v1/deployments/${deployment.id}/v2/models/iris/infer`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(credential ? { authorization: `Bearer ${credential}` } : {}),
        },
        body: JSON.stringify(infer),
      });
    const before = fake.requests.length;
    const answer = await predict(key);
    expect(answer.status).toBe(200);
    const body = (await answer.json()) as { model_name: string; outputs: Array<{ name: string }> };
    expect(body.model_name).toBe("iris");
    expect(body.outputs.length).toBeGreaterThan(0);
    // Through the API server's service proxy, with the kubeconfig's credential (which the server consumes).
    const proxied = fake.requests.slice(before).filter((r) => r.path.includes("/proxy/"));
    expect(proxied.map((r) => [r.method, r.path, r.authorization])).toEqual([
      [
        "POST",
        `/api/v1/namespaces/${ns}/services/${name}:http/proxy/v2/models/iris/infer`,
        `Bearer ${apiToken}`,
      ],
    ]);

    // Nobody else: no key → 401, another tenant's key → 404, and the model server refuses a caller
    // without the replica token even on the proxy path.
    expect((await predict()).status).toBe(401);
    const stranger = await h.signUp("stranger");
    const { secret: strangerKey } = await stranger.api.apiKey.create({ name: "other" });
    expect((await predict(strangerKey)).status).toBe(404);
    const direct = await fetch(
      `${fake.url}/api/v1/namespaces/${ns}/services/${name}:http/proxy/v2/models/iris/infer`,
      {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${apiToken}` },
        body: JSON.stringify(infer),
      },
    );
    expect(direct.status).toBe(401);
  });

  it("the replica accepts only the replica token from its deployment's Secret, in X-KubeServe-Token", async () => {
    const pod = pods[0];
    if (!pod) throw new Error("the previous test started no pod");
    const secret = fake.get("v1", "Secret", pod.namespace, pod.secret) as
      { data?: Record<string, string> } | undefined;
    const replicaToken = Buffer.from(secret?.data?.["replica-token"] ?? "", "base64").toString();
    const readToken = Buffer.from(secret?.data?.token ?? "", "base64").toString();
    const call = (token: string) =>
      fetch(`${pod.origin}/v2/models/iris`, { headers: { "x-kubeserve-token": token } });
    expect(replicaToken).toMatch(/^ksp_/);
    expect((await call(replicaToken)).status).toBe(200);
    // The artifact read token (same Secret) and a made-up one are refused by the real model server.
    expect((await call(readToken)).status).toBe(401);
    expect((await call(`ksp_${"x".repeat(43)}`)).status).toBe(401);
    expect((await fetch(`${pod.origin}/v2/models/iris`)).status).toBe(401);
  });

  it("an admin's quota override becomes the tenant's ResourceQuota; a deploy past it never reaches the cluster", async () => {
    const admin = await h.signUp("admin");
    await h.deps.db.user.update({
      where: { id: admin.userId },
      data: { role: "admin" },
      select: { id: true },
    });
    const user = await h.signUp("quota");
    await admin.api.quota.set({
      userId: user.userId,
      maxReplicas: 4,
      maxCpu: "3",
      maxMemory: "6Gi",
    });
    const model = await user.api.model.create({ name: "iris" });
    const version = await user.api.version.create({
      modelId: model.id,
      tag: "v1",
      framework: "onnx",
    });
    await seedReadyVersion(h.deps, { userId: user.userId, versionId: version.id });
    const ns = namespaceForUser(user.userId);
    const refused = await failureOf(
      user.api.deployment.create({
        versionId: version.id,
        name: "too-big",
        runtime: "kubernetes",
        replicas: 4,
        resources: { cpuLimit: "1" },
      }),
    );
    expect(refused.message).toMatch(/^Quota exceeded: maxCpu is 3 /);
    expect(fake.requests.some((r) => r.path.includes(`/namespaces/${ns}`))).toBe(false);
    const fits = await user.api.deployment.create({
      versionId: version.id,
      name: "fits",
      runtime: "kubernetes",
      replicas: 2,
    });
    const quota = await waitFor(() => fake.get("v1", "ResourceQuota", ns, "kubeserve-quota"), {
      what: "ResourceQuota",
    });
    expect((quota.spec as { hard: Record<string, string> }).hard).toMatchObject({
      "requests.cpu": "3",
      "limits.cpu": "3",
      "requests.memory": "6Gi",
      "limits.memory": "6Gi",
      pods: "4",
    });
    await user.api.deployment.delete({ id: fits.id });
  });

  it("delete removes the deployment's objects from the cluster", async () => {
    const { user, deployment } = await deployOnKubernetes("gone");
    const ns = namespaceForUser(user.userId);
    const name = deploymentResourceName(deployment.id);
    await waitFor(() => fake.get("apps/v1", "Deployment", ns, name), { what: "Deployment" });
    await user.api.deployment.delete({ id: deployment.id });
    expect(fake.get("apps/v1", "Deployment", ns, name)).toBeUndefined();
    expect(fake.get("v1", "Service", ns, name)).toBeUndefined();
    expect(fake.get("v1", "Secret", ns, artifactTokenSecretName(deployment.id))).toBeUndefined();
    expect(fake.get("autoscaling/v2", "HorizontalPodAutoscaler", ns, name)).toBeUndefined();
  });
});
