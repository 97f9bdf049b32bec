import path from "node:path";
import { DRIVER_PERMISSIONS, TENANT_DRIVER_ROLE } from "@kubeserve/k8s/rbac";
import { buildRayConfigMaps } from "@kubeserve/k8s/ray";
import { parsePlatformDefaults } from "./platform-defaults";
import { validateManifest } from "@kubeserve/k8s/testing";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { DEPLOY_DIR, hasCommand, run } from "./helpers";

// `kubectl kustomize` renders each overlay exactly as `kubectl apply -k` would send it; every rendered
// object is then validated with kubernetes-models (Kubernetes, Gateway API and prometheus-operator
// schemas) and the API server's metadata rules, and checked for what the platform promises.

// Rendered YAML is untyped (any kind, already validated above); tests read its fields directly.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type TYaml = Record<string, any>;

type TObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: TYaml;
  data?: Record<string, string>;
  rules?: Array<{
    apiGroups: string[];
    resources: string[];
    verbs: string[];
    resourceNames?: string[];
  }>;
  subjects?: Array<{ kind: string; name: string; namespace?: string }>;
  roleRef?: { kind: string; name: string };
};

const hasKubectl = hasCommand("kubectl");
if (!hasKubectl) {
  process.stdout.write(
    "SKIPPED kustomize tests: kubectl (1.32 with kustomize 5.5) is not on PATH here\n",
  );
}

function render(overlay: string): TObject[] {
  const result = run("kubectl", ["kustomize", path.join(DEPLOY_DIR, "k8s", overlay)]);
  if (result.status !== 0)
    throw new Error(`kubectl kustomize ${overlay} failed:\n${result.stderr}`);
  return parseAllDocuments(result.stdout).map((doc) => doc.toJS() as TObject);
}

function find(objects: TObject[], kind: string, name: string): TObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name}`);
  return found;
}

function containersOf(object: TObject): TYaml[] {
  const pod =
    object.kind === "Job" || object.kind === "Deployment" || object.kind === "StatefulSet"
      ? object.spec?.template?.spec
      : undefined;
  return pod ? [...(pod.initContainers ?? []), ...(pod.containers ?? [])] : [];
}

const overlays = ["base", "overlays/dev", "overlays/prod", "overlays/ray"];

describe.skipIf(!hasKubectl)("kustomize", () => {
  it("kubectl has kustomize 5 (Debian's kubectl 1.20 bundles kustomize 2, which cannot render these)", () => {
    const version = run("kubectl", ["version", "--client", "-o", "json"]);
    const parsed = JSON.parse(version.stdout) as { kustomizeVersion?: string };
    expect(parsed.kustomizeVersion ?? "none", "kustomize version").toMatch(/^v[5-9]\./);
  });

  it.each(overlays)("%s renders and every object validates", (overlay) => {
    const objects = render(overlay);
    expect(objects.length).toBeGreaterThan(10);
    for (const object of objects) validateManifest(object);
  });

  it.each(overlays)("%s runs every container hardened, with requests and limits", (overlay) => {
    for (const object of render(overlay)) {
      const pod = object.spec?.template?.spec;
      if (!pod) continue;
      expect(pod.securityContext?.runAsNonRoot, `${object.kind} ${object.metadata.name}`).toBe(
        true,
      );
      expect(pod.securityContext?.seccompProfile?.type).toBe("RuntimeDefault");
      for (const container of containersOf(object)) {
        const where = `${object.metadata.name}/${container.name}`;
        expect(container.securityContext?.allowPrivilegeEscalation, where).toBe(false);
        expect(container.securityContext?.capabilities?.drop, where).toEqual(["ALL"]);
        expect(container.resources?.requests, where).toBeDefined();
        expect(container.resources?.limits, where).toBeDefined();
      }
    }
  });

  it.each(overlays)("%s exposes no Service outside the cluster", (overlay) => {
    const services = render(overlay).filter((o) => o.kind === "Service");
    expect(services.filter((s) => (s.spec?.type ?? "ClusterIP") !== "ClusterIP")).toEqual([]);
  });

  it("grants the driver exactly the permissions @kubeserve/k8s lists, in the scopes it lists", () => {
    const objects = render("base");
    const granted = (object: TObject, scope: string) =>
      (object.rules ?? []).flatMap((rule) =>
        rule.apiGroups.flatMap((group) =>
          rule.resources.flatMap((resource) =>
            rule.verbs.map(
              (verb) =>
                `${scope} ${group}/${resource} ${verb} ${rule.resourceNames?.join(",") ?? ""}`,
            ),
          ),
        ),
      );
    const actual = [
      ...granted(find(objects, "ClusterRole", "kubeserve-driver"), "cluster"),
      ...granted(find(objects, "ClusterRole", TENANT_DRIVER_ROLE), "tenant"),
      ...granted(find(objects, "Role", "kubeserve-platform-routes"), "platform"),
    ].sort();
    const expected = DRIVER_PERMISSIONS.flatMap((p) =>
      p.verbs.map(
        (verb) =>
          `${p.scope} ${p.apiGroup}/${p.resource} ${verb} ${p.resourceNames?.join(",") ?? ""}`,
      ),
    ).sort();
    expect(actual).toEqual(expected);
    // Only the cluster-scope role is bound cluster-wide; the tenant role is bound per tenant namespace.
    const clusterBindings = objects.filter((o) => o.kind === "ClusterRoleBinding");
    expect(clusterBindings.map((b) => b.roleRef?.name)).toEqual(["kubeserve-driver"]);
    expect(
      find(objects, "ClusterRole", "kubeserve-driver").rules?.find((r) => r.verbs.includes("bind"))
        ?.resourceNames,
    ).toEqual([TENANT_DRIVER_ROLE]);
    for (const p of DRIVER_PERMISSIONS)
      expect(p.why.length, `${p.resource} has a reason`).toBeGreaterThan(10);
  });

  it("never lets the driver read Secrets", () => {
    const objects = render("base");
    for (const role of objects.filter((o) => o.kind === "ClusterRole" || o.kind === "Role")) {
      for (const rule of role.rules ?? []) {
        if (rule.resources.includes("secrets"))
          expect(rule.verbs.filter((v) => ["get", "list", "watch"].includes(v))).toEqual([]);
      }
    }
  });

  it("binds the service account and pod labels the tenant builders expect, and fences it by admission policy", () => {
    const objects = render("base");
    const defaults = parsePlatformDefaults();
    const api = find(objects, "Deployment", "kubeserve-api");
    expect(api.metadata.namespace).toBe(defaults.namespace);
    expect(api.spec?.template?.spec?.serviceAccountName).toBe(defaults.apiServiceAccount);
    expect(api.spec?.template?.metadata?.labels).toMatchObject(defaults.apiPodLabels);
    expect(find(objects, "Service", defaults.apiServiceName).spec?.ports).toEqual([
      { name: "http", port: defaults.apiPort, targetPort: "http", protocol: "TCP" },
    ]);
    const binding = find(objects, "ClusterRoleBinding", "kubeserve-driver");
    expect(binding.subjects).toEqual([
      { kind: "ServiceAccount", name: defaults.apiServiceAccount, namespace: defaults.namespace },
    ]);
    const policy = find(objects, "ValidatingAdmissionPolicy", "kubeserve-driver-scope");
    expect(JSON.stringify(policy.spec?.matchConditions)).toContain(
      `system:serviceaccount:${defaults.namespace}:${defaults.apiServiceAccount}`,
    );
    expect(JSON.stringify(policy.spec?.validations)).toContain(`startsWith('kubeserve-u-')`);
    expect(
      find(objects, "ValidatingAdmissionPolicyBinding", "kubeserve-driver-scope").spec
        ?.validationActions,
    ).toEqual(["Deny"]);
    // Only the API gets a service account token.
    for (const workload of objects.filter((o) => o.kind === "Deployment" || o.kind === "Job")) {
      const pod = workload.spec?.template?.spec;
      expect(pod.automountServiceAccountToken, workload.metadata.name).toBe(
        workload.metadata.name === "kubeserve-api",
      );
    }
  });

  it("runs migrations as a Job with the image's migrator, and the API never migrates", () => {
    const objects = render("base");
    const job = find(objects, "Job", "kubeserve-migrate");
    expect(containersOf(job)[0]?.command).toEqual(["node", "dist/cli/migrate.js", "deploy"]);
    expect(containersOf(job)[0]?.image).toBe(
      containersOf(find(objects, "Deployment", "kubeserve-api"))[0]?.image,
    );
    expect(containersOf(find(objects, "Deployment", "kubeserve-api"))[0]?.command).toBeUndefined();
  });

  it("admits only the monitoring namespace to the API's metrics port", () => {
    const policies = render("base").filter((o) => o.kind === "NetworkPolicy");
    const metrics = policies.filter((p) => JSON.stringify(p.spec?.ingress ?? []).includes("9464"));
    expect(metrics).toHaveLength(1);
    expect(metrics[0]?.spec?.ingress).toEqual([
      {
        from: [
          { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } },
        ],
        ports: [{ protocol: "TCP", port: 9464 }],
      },
    ]);
    expect(find(render("base"), "NetworkPolicy", "default-deny-ingress").spec).toEqual({
      podSelector: {},
      policyTypes: ["Ingress"],
    });
  });

  it("dev generates its throwaway Secret; prod and ray expect one created out of band", () => {
    expect(
      render("overlays/dev")
        .filter((o) => o.kind === "Secret")
        .map((o) => o.metadata.name),
    ).toEqual([expect.stringMatching(/^kubeserve-secrets-/)]);
    expect(render("overlays/prod").filter((o) => o.kind === "Secret")).toEqual([]);
    expect(render("overlays/ray").filter((o) => o.kind === "Secret")).toEqual([]);
  });

  it("prod runs two or more of everything behind an HTTPRoute, with budgets and a ServiceMonitor", () => {
    const objects = render("overlays/prod");
    expect(objects.some((o) => o.kind === "Ingress")).toBe(false);
    expect(
      find(objects, "HorizontalPodAutoscaler", "kubeserve-api").spec?.minReplicas,
    ).toBeGreaterThanOrEqual(2);
    expect(find(objects, "Deployment", "kubeserve-api").spec?.replicas).toBeUndefined();
    expect(find(objects, "Deployment", "kubeserve-web").spec?.replicas).toBe(2);
    expect(objects.filter((o) => o.kind === "PodDisruptionBudget")).toHaveLength(2);
    const route = find(objects, "HTTPRoute", "kubeserve");
    const backends = (route.spec?.rules as Array<{ backendRefs: Array<{ name: string }> }>).flatMap(
      (r) => r.backendRefs.map((b) => b.name),
    );
    expect(new Set(backends)).toEqual(new Set(["kubeserve-api", "kubeserve-web"]));
    expect(find(objects, "ServiceMonitor", "kubeserve-api").spec?.endpoints[0].port).toBe(
      "metrics",
    );
  });

  it("ray: the two ConfigMaps agree with the RayService builder, RAY_ADDRESS only for clients", () => {
    const objects = render("overlays/ray");
    const shared = find(objects, "ConfigMap", "kubeserve-ray-shared");
    const client = find(objects, "ConfigMap", "kubeserve-ray-client");
    const built = buildRayConfigMaps({
      name: "kubeserve",
      namespace: "ray",
      rayVersion: "2.40.0",
      image: "rayproject/ray:2.40.0",
    });
    expect(shared.data).toEqual(built.shared.data);
    expect(client.data).toEqual(built.client.data);
    expect(shared.data?.RAY_ADDRESS).toBeUndefined();
    expect(client.data?.RAY_ADDRESS).toBe(
      `ray://${shared.data?.RAY_HOST}:${shared.data?.RAY_PORT}`,
    );
    const api = find(objects, "Deployment", "kubeserve-api");
    expect(containersOf(api)[0]?.envFrom).toEqual(
      expect.arrayContaining([
        { configMapRef: { name: "kubeserve-ray-shared" } },
        { configMapRef: { name: "kubeserve-ray-client" } },
      ]),
    );
    expect(find(objects, "ConfigMap", "kubeserve-api-config").data?.RUNTIMES_ENABLED).toBe(
      "kubernetes,ray",
    );
  });

  it("ray: only the API reaches the head's Serve (:8000) and dashboard (:8265) ports", () => {
    const policies = render("overlays/ray").filter(
      (o) => o.kind === "NetworkPolicy" && o.metadata.namespace === "ray",
    );
    const rules = policies.flatMap(
      (p) =>
        (p.spec?.ingress ?? []) as Array<{ from?: unknown[]; ports?: Array<{ port: number }> }>,
    );
    const reaching = (port: number) =>
      rules.filter((r) => !r.ports || r.ports.some((p) => p.port === port));
    for (const port of [8000, 8265]) {
      const sources = reaching(port).flatMap((r) => r.from ?? [{ anyone: true }]);
      expect(sources, `who reaches ${port}`).toEqual(
        expect.arrayContaining([
          {
            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kubeserve" } },
            podSelector: { matchLabels: { "app.kubernetes.io/name": "kubeserve-api" } },
          },
        ]),
      );
      // Apart from the API, only Ray's own pods (cluster-internal traffic) may connect.
      const others = sources.filter(
        (s) =>
          JSON.stringify(s) !==
          JSON.stringify({
            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kubeserve" } },
            podSelector: { matchLabels: { "app.kubernetes.io/name": "kubeserve-api" } },
          }),
      );
      expect(others).toEqual([{ podSelector: { matchLabels: { "ray.io/is-ray-node": "yes" } } }]);
    }
    for (const policy of policies) expect(policy.spec?.policyTypes).toEqual(["Ingress"]);
  });
});
