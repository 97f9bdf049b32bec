import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyObject, deleteObject } from "./apply";
import { createK8sApi, kubeConfigForServer } from "./client";
import { FIELD_MANAGER } from "./labels";
import { buildModelDeploymentManifests } from "./manifests";
import { deploymentInput } from "./testing/fixtures";

// A stand-in for the Kubernetes API server, written from the API conventions: discovery documents
// (GET /api/v1, GET /apis/<group>/<version>), server-side apply (PATCH with
// application/apply-patch+yaml, answering the applied object or a 409 Status), DELETE (404 Status
// when missing), GET of a namespace. It records every request; it does not merge, default or persist.

type TRecorded = { method: string; url: string; headers: IncomingMessage["headers"]; body: string };

const discovery: Record<string, Array<{ name: string; kind: string; namespaced: boolean }>> = {
  "/api/v1": [
    { name: "namespaces", kind: "Namespace", namespaced: false },
    { name: "services", kind: "Service", namespaced: true },
    { name: "secrets", kind: "Secret", namespaced: true },
  ],
  "/apis/apps/v1": [{ name: "deployments", kind: "Deployment", namespaced: true }],
  "/apis/monitoring.coreos.com/v1": [
    { name: "servicemonitors", kind: "ServiceMonitor", namespaced: true },
  ],
  "/apis/networking.k8s.io/v1": [{ name: "ingresses", kind: "Ingress", namespaced: true }],
  "/apis/policy/v1": [
    { name: "poddisruptionbudgets", kind: "PodDisruptionBudget", namespaced: true },
  ],
  "/apis/gateway.networking.k8s.io/v1": [
    { name: "httproutes", kind: "HTTPRoute", namespaced: true },
  ],
};

function status(res: ServerResponse, code: number, reason: string, message: string) {
  res.writeHead(code, { "content-type": "application/json" });
  res.end(
    JSON.stringify({ kind: "Status", apiVersion: "v1", status: "Failure", code, reason, message }),
  );
}

function fakeApiServer(requests: TRecorded[], options: { conflictOn?: string } = {}) {
  return (req: IncomingMessage, res: ServerResponse) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://fake");
      requests.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      const resources = discovery[url.pathname];
      if (req.method === "GET" && resources) {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(
          JSON.stringify({
            kind: "APIResourceList",
            groupVersion: url.pathname.replace(/^\/apis?\//, ""),
            resources: resources.map((r) => ({
              ...r,
              singularName: "",
              verbs: ["create", "delete", "get", "list", "patch", "watch"],
            })),
          }),
        );
        return;
      }
      if (req.method === "PATCH") {
        if (req.headers["content-type"] !== "application/apply-patch+yaml")
          return status(res, 415, "UnsupportedMediaType", "apply only");
        if (
          options.conflictOn &&
          url.pathname.includes(options.conflictOn) &&
          url.searchParams.get("force") !== "true"
        ) {
          return status(
            res,
            409,
            "Conflict",
            'Apply failed with 1 conflict: conflict with "kubectl-edit": .spec.replicas',
          );
        }
        res.writeHead(200, { "content-type": "application/json" });
        res.end(body);
        return;
      }
      if (req.method === "DELETE") return status(res, 404, "NotFound", "not found");
      if (req.method === "GET" && url.pathname.startsWith("/api/v1/namespaces/")) {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(
          JSON.stringify({
            apiVersion: "v1",
            kind: "Namespace",
            metadata: { name: url.pathname.split("/")[4] },
          }),
        );
        return;
      }
      status(res, 404, "NotFound", `no route for ${req.method} ${url.pathname}`);
    });
  };
}

describe("server-side apply against a fake API server", () => {
  const requests: TRecorded[] = [];
  const server = createHttpServer(fakeApiServer(requests, { conflictOn: "/deployments/" }));
  let api: ReturnType<typeof createK8sApi>;

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    api = createK8sApi({
      kubeConfig: kubeConfigForServer({ server: `http://127.0.0.1:${port}`, token: "test-token" }),
    });
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("sends every built object as an apply patch with the one field manager, unchanged", async () => {
    const { apply } = buildModelDeploymentManifests(
      deploymentInput({
        replicas: 2,
        routing: { kind: "httproute", parentRefs: [{ name: "public" }] },
      }),
    );
    for (const object of apply.filter((o) => o.kind !== "Deployment")) {
      requests.length = 0;
      const applied = await applyObject(api, object);
      expect(applied).toEqual(object);
      const patch = requests.find((r) => r.method === "PATCH");
      if (!patch) throw new Error(`no PATCH for ${object.kind}`);
      const url = new URL(patch.url, "http://fake");
      expect(url.searchParams.get("fieldManager")).toBe(FIELD_MANAGER);
      expect(url.searchParams.get("force")).toBe("false");
      expect(patch.headers["content-type"]).toBe("application/apply-patch+yaml");
      expect(patch.headers.authorization).toBe("Bearer test-token");
      expect(JSON.parse(patch.body)).toEqual(object);
      expect(url.pathname).toMatch(
        new RegExp(`/namespaces/${object.metadata?.namespace}/[a-z]+/${object.metadata?.name}$`),
      );
    }
  });

  it("reports a field-ownership conflict (409) unless asked to force, and forwards force", async () => {
    const deployment = buildModelDeploymentManifests(deploymentInput()).apply.find(
      (o) => o.kind === "Deployment",
    )!;
    await expect(applyObject(api, deployment)).rejects.toMatchObject({ code: 409 });
    requests.length = 0;
    await expect(applyObject(api, deployment, { force: true })).resolves.toMatchObject({
      kind: "Deployment",
    });
    const patch = requests.find((r) => r.method === "PATCH");
    expect(new URL(patch?.url ?? "", "http://fake").searchParams.get("force")).toBe("true");
    expect(JSON.parse(patch?.body ?? "{}")).toEqual(deployment);
  });

  it("sends dry runs as dryRun=All", async () => {
    requests.length = 0;
    const service = buildModelDeploymentManifests(deploymentInput()).apply[0]!;
    await applyObject(api, service, { dryRun: true });
    expect(new URL(requests.at(-1)?.url ?? "", "http://fake").searchParams.get("dryRun")).toBe(
      "All",
    );
  });

  it("treats deleting an object that is already gone as done", async () => {
    const ref = buildModelDeploymentManifests(deploymentInput()).prune[0]!;
    await expect(
      deleteObject(api, { ...ref, apiVersion: "policy/v1", kind: "PodDisruptionBudget" }),
    ).resolves.toBe(false);
    expect(requests.at(-1)?.method).toBe("DELETE");
  });
});

describe("createK8sApi inside a pod", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "kubeserve-sa-"));
  const saDir = path.join(dir, "serviceaccount");
  const requests: TRecorded[] = [];
  let server: ReturnType<typeof createHttpsServer>;
  let port = 0;

  beforeAll(async () => {
    mkdirSync(saDir);
    // A real TLS server with a self-signed certificate for 127.0.0.1, trusted through ca.crt only.
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=127.0.0.1",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
        "-keyout",
        path.join(dir, "key.pem"),
        "-out",
        path.join(saDir, "ca.crt"),
      ],
      { stdio: "ignore" },
    );
    writeFileSync(path.join(saDir, "token"), "service-account-token");
    writeFileSync(path.join(saDir, "namespace"), "kubeserve\n");
    server = createHttpsServer(
      {
        key: readFileSync(path.join(dir, "key.pem")),
        cert: readFileSync(path.join(saDir, "ca.crt")),
      },
      fakeApiServer(requests),
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  it("uses the mounted service account token and CA, over TLS", async () => {
    const env = {
      KUBERNETES_SERVICE_HOST: "127.0.0.1",
      KUBERNETES_SERVICE_PORT: String(port),
      KUBECONFIG: "/nonexistent",
    };
    const api = createK8sApi({ env, serviceAccountDir: saDir });
    expect(api.source).toBe("in-cluster");
    expect(api.server).toBe(`https://127.0.0.1:${port}`);
    expect(api.kubeConfig.getContextObject(api.kubeConfig.getCurrentContext())?.namespace).toBe(
      "kubeserve",
    );
    const namespace = await api.core.readNamespace({ name: "kubeserve-u-1" });
    expect(namespace.metadata?.name).toBe("kubeserve-u-1");
    expect(requests.at(-1)?.headers.authorization).toBe("Bearer service-account-token");
  });

  it("refuses a server whose certificate the mounted CA did not sign", async () => {
    const otherDir = path.join(dir, "other");
    mkdirSync(otherDir);
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=other",
        "-keyout",
        path.join(otherDir, "key.pem"),
        "-out",
        path.join(otherDir, "ca.crt"),
      ],
      { stdio: "ignore" },
    );
    writeFileSync(path.join(otherDir, "token"), "t");
    const env = { KUBERNETES_SERVICE_HOST: "127.0.0.1", KUBERNETES_SERVICE_PORT: String(port) };
    const api = createK8sApi({ env, serviceAccountDir: otherDir });
    await expect(api.core.readNamespace({ name: "x" })).rejects.toThrow();
  });

  it("outside a pod uses the kubeconfig, and says clearly when there is none", () => {
    const kubeconfig = path.join(dir, "config");
    writeFileSync(
      kubeconfig,
      `apiVersion: v1\nkind: Config\nclusters: [{name: dev, cluster: {server: "https://127.0.0.1:6443"}}]\nusers: [{name: me, user: {token: abc}}]\ncontexts: [{name: dev, context: {cluster: dev, user: me}}]\ncurrent-context: dev\n`,
    );
    const api = createK8sApi({
      env: { KUBECONFIG: kubeconfig },
      serviceAccountDir: path.join(dir, "none"),
    });
    expect(api.source).toBe("kubeconfig");
    expect(api.server).toBe("https://127.0.0.1:6443");
    expect(() =>
      createK8sApi({ env: { HOME: dir }, serviceAccountDir: path.join(dir, "none") }),
    ).toThrow(/no Kubernetes credentials/);
    // The service host variables alone (no mounted token) are not "inside a pod".
    const notPod = createK8sApi({
      env: {
        KUBECONFIG: kubeconfig,
        KUBERNETES_SERVICE_HOST: "10.0.0.1",
        KUBERNETES_SERVICE_PORT: "443",
      },
      serviceAccountDir: path.join(dir, "none"),
    });
    expect(notPod.source).toBe("kubeconfig");
  });
});
