import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { K8sSpecError } from "./errors";
import { buildRayService } from "./ray";
import {
  listServeApplications,
  mergeServeConfigV2,
  ServeConfigError,
  type TRayServeApplication,
} from "./serve-config";
import { loadRayServiceValidator, validateRayService } from "./testing/validate";

const idA = "0190a6f2-8000-7000-8000-0000000000a1";
const idB = "0190a6f2-8000-7000-8000-0000000000b2";
const idOther = "0190a6f2-8000-7000-8000-0000000000c3";

function ours(id: string, replicas = 1): TRayServeApplication {
  return {
    name: `kubeserve-${id}`,
    route_prefix: `/kubeserve/${id}`,
    import_path: "kubeserve_ray.entry:app",
    runtime_env: { env_vars: { KUBESERVE_DEPLOYMENT: id } },
    deployments: [
      {
        name: "ModelServer",
        num_replicas: replicas,
        ray_actor_options: { num_cpus: 0.5, memory: 536870912 },
      },
    ],
  };
}

// Someone else's config, with the things a careless round trip through a YAML library would lose.
const theirs = `# Managed by team-a; please talk to #ray before editing.
proxy_location: EveryNode
http_options:
  host: 0.0.0.0
  port: 8000   # Serve proxy
applications:
  # The fraud model: do not touch.
  - name: fraud
    route_prefix: /fraud
    import_path: fraud.serve:app
    runtime_env:
      pip: ['scikit-learn==1.4.2']   # pinned on purpose
    deployments:
      - name: Fraud
        num_replicas: 2
  - {name: "kubeserve-${idOther}", route_prefix: "/kubeserve/${idOther}", import_path: "x.y:z"}
  - name: search
    route_prefix: "/search"
    import_path: search.app:build
logging_config:
  encoding: JSON
`;

function rayServiceWith(serveConfigV2: string) {
  const service = buildRayService({
    name: "team",
    namespace: "ray",
    rayVersion: "2.40.0",
    image: "rayproject/ray:2.40.0",
  });
  return { ...service, spec: { ...service.spec, serveConfigV2 } };
}

beforeAll(() => {
  loadRayServiceValidator();
});

describe("mergeServeConfigV2", () => {
  it("adds our application to someone else's config without changing one byte of theirs", () => {
    const merged = mergeServeConfigV2(theirs, { upsert: [ours(idA)] });
    validateRayService(rayServiceWith(merged));
    // Everything up to the end of the applications list is untouched, then our item, then the rest.
    const at = theirs.indexOf("logging_config:");
    expect(merged.startsWith(theirs.slice(0, at))).toBe(true);
    expect(merged.endsWith(theirs.slice(at))).toBe(true);
    const apps = (parse(merged) as { applications: Array<{ name: string }> }).applications;
    expect(apps.map((a) => a.name)).toEqual([
      "fraud",
      `kubeserve-${idOther}`,
      "search",
      `kubeserve-${idA}`,
    ]);
    expect(apps[3]).toEqual(ours(idA));
  });

  it("removing what it added gives back the original bytes", () => {
    const added = mergeServeConfigV2(theirs, { upsert: [ours(idA), ours(idB)] });
    expect(mergeServeConfigV2(added, { remove: [idA, idB] })).toBe(theirs);
  });

  it("updates ours in place (scale, new version) and leaves the others and the order alone", () => {
    const added = mergeServeConfigV2(theirs, { upsert: [ours(idA), ours(idB)] });
    const scaled = mergeServeConfigV2(added, { upsert: [ours(idA, 4)] });
    validateRayService(rayServiceWith(scaled));
    expect(scaled).toBe(
      added.replace(
        /num_replicas: 1\n(\s+ray_actor_options[^\n]*\n(?:\s+[a-z_]+:[^\n]*\n)*?)(?=.*kubeserve-0190a6f2-8000-7000-8000-0000000000b2)/s,
        "num_replicas: 4\n$1",
      ),
    );
    const apps = listServeApplications(scaled);
    expect(apps.map((a) => a.name)).toEqual([
      "fraud",
      `kubeserve-${idOther}`,
      "search",
      `kubeserve-${idA}`,
      `kubeserve-${idB}`,
    ]);
    expect(mergeServeConfigV2(scaled, { remove: [idA, idB] })).toBe(theirs);
  });

  it("is idempotent", () => {
    const once = mergeServeConfigV2(theirs, { upsert: [ours(idA)] });
    expect(mergeServeConfigV2(once, { upsert: [ours(idA)] })).toBe(once);
  });

  it("never touches a kubeserve-* application the change does not name (another API's deployment)", () => {
    const merged = mergeServeConfigV2(theirs, { upsert: [ours(idA)], remove: [idB] });
    expect(merged).toContain(
      `{name: "kubeserve-${idOther}", route_prefix: "/kubeserve/${idOther}", import_path: "x.y:z"}`,
    );
  });

  it("handles our item first, last at end of file, and a list at column 0", () => {
    const compact = `applications:\n- name: kubeserve-${idA}\n  route_prefix: /kubeserve/${idA}\n  import_path: a.b:c\n- name: other\n  route_prefix: /other\n  import_path: o.p:q`;
    const removed = mergeServeConfigV2(compact, { remove: [idA] });
    expect(removed).toBe(
      "applications:\n- name: other\n  route_prefix: /other\n  import_path: o.p:q",
    );
    const appended = mergeServeConfigV2(removed, { upsert: [ours(idB)] });
    expect(appended.startsWith(`${removed}\n- name: kubeserve-${idB}\n`)).toBe(true);
    validateRayService(rayServiceWith(appended));
  });

  it("keeps a JSON (flow) config JSON, and removes from it cleanly", () => {
    const json = `{"proxy_location": "HeadOnly", "applications": [{"name": "a", "route_prefix": "/a", "import_path": "a.b:c"}]}`;
    const merged = mergeServeConfigV2(json, { upsert: [ours(idA), ours(idB)] });
    expect(JSON.parse(merged)).toEqual({
      proxy_location: "HeadOnly",
      applications: [{ name: "a", route_prefix: "/a", import_path: "a.b:c" }, ours(idA), ours(idB)],
    });
    expect(mergeServeConfigV2(merged, { remove: [idA, idB] })).toBe(json);
    const oursFirst = `{"applications": [${JSON.stringify(ours(idA))}, ${JSON.stringify(ours(idB))}, {"name": "a", "route_prefix": "/a", "import_path": "a.b:c"}]}`;
    expect(mergeServeConfigV2(oursFirst, { remove: [idA, idB] })).toBe(
      `{"applications": [{"name": "a", "route_prefix": "/a", "import_path": "a.b:c"}]}`,
    );
    expect(mergeServeConfigV2(`{"applications": []}`, { upsert: [ours(idA)] })).toBe(
      `{"applications": [${JSON.stringify(ours(idA))}]}`,
    );
  });

  it("adds an applications list to a config that has none", () => {
    const block = mergeServeConfigV2("proxy_location: EveryNode\n", { upsert: [ours(idA)] });
    expect(block.startsWith("proxy_location: EveryNode\napplications:\n  - name: kubeserve-")).toBe(
      true,
    );
    const flow = mergeServeConfigV2(`{"proxy_location": "EveryNode"}`, { upsert: [ours(idA)] });
    expect(JSON.parse(flow)).toEqual({ proxy_location: "EveryNode", applications: [ours(idA)] });
    expect(mergeServeConfigV2(undefined, { remove: [idA] })).toBe("");
  });

  it.each([
    ["invalid YAML", "applications: [\n", /not valid YAML/],
    ["two documents", "applications: []\n---\napplications: []\n", /exactly one YAML document/],
    ["a list at the root", "- a\n", /must be a YAML mapping/],
    ["applications that is not a list", "applications: {a: 1}\n", /must be a list/],
    [
      "an application that is not a mapping",
      "applications:\n  - just-a-name\n",
      /applications\[0\] is not a mapping/,
    ],
    [
      "someone else on our route prefix",
      `applications:\n  - name: squatter\n    route_prefix: /kubeserve/${idA}\n    import_path: a.b:c\n`,
      /two applications use route_prefix/,
    ],
  ])("refuses %s, changing nothing", (_what, existing, message) => {
    expect(() => mergeServeConfigV2(existing, { upsert: [ours(idA)] })).toThrow(ServeConfigError);
    expect(() => mergeServeConfigV2(existing, { upsert: [ours(idA)] })).toThrow(message);
  });

  it("refuses applications that are not ours or that Ray would reject", () => {
    expect(() => mergeServeConfigV2(theirs, { upsert: [{ ...ours(idA), name: "fraud" }] })).toThrow(
      K8sSpecError,
    );
    expect(() =>
      mergeServeConfigV2(theirs, { upsert: [{ ...ours(idA), route_prefix: "/fraud" }] }),
    ).toThrow(/route_prefix: must be \/kubeserve\//);
    expect(() =>
      mergeServeConfigV2(theirs, { upsert: [{ ...ours(idA), import_path: "not a path" }] }),
    ).toThrow(/import_path/);
    expect(() => mergeServeConfigV2(theirs, { remove: ["fraud"] })).toThrow(/not a deployment id/);
  });

  it("lists applications with the deployment ids KubeServe owns", () => {
    expect(listServeApplications(theirs)).toEqual([
      { name: "fraud", deploymentId: undefined },
      { name: `kubeserve-${idOther}`, deploymentId: idOther },
      { name: "search", deploymentId: undefined },
    ]);
  });
});
