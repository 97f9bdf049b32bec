import { describe, expect, it } from "vitest";
import { buildModelDeploymentManifests } from "./manifests";
import { deploymentResourceName, namespaceForUser } from "./names";
import { buildModelRoute, gatewayPaths, routeBackendServices } from "./routing";
import { buildModelService } from "./services";
import type { TModelDeploymentSpecInput } from "./spec";
import { deploymentInput, ids } from "./testing/fixtures";
import { validateManifest } from "./testing/validate";

const paths = gatewayPaths(ids.deployment);

const routings: Array<[string, TModelDeploymentSpecInput["routing"]]> = [
  [
    "HTTPRoute on the gateway's own paths",
    { kind: "httproute", parentRefs: [{ name: "public", namespace: "gateways" }] },
  ],
  [
    "HTTPRoute with a public prefix and host",
    {
      kind: "httproute",
      parentRefs: [{ name: "public", namespace: "gateways", sectionName: "https" }],
      hostnames: ["models.example.com"],
      pathPrefix: "/team-a/iris",
    },
  ],
  [
    "HTTPRoute whose prefix is the gateway path",
    { kind: "httproute", parentRefs: [{ name: "public" }], pathPrefix: paths.deploymentPrefix },
  ],
  [
    "Ingress",
    {
      kind: "ingress",
      className: "nginx",
      host: "models.example.com",
      tlsSecretName: "models-tls",
    },
  ],
];

describe("routes never lead around the API-key check", () => {
  it.each(routings)(
    "%s points only at the API Service in the platform namespace",
    (_what, routing) => {
      const input = deploymentInput({
        routing,
        platform: { namespace: "kubeserve-system", apiServiceName: "kubeserve-api", apiPort: 4000 },
      });
      const route = buildModelRoute(input);
      if (!route) throw new Error("expected a route");
      validateManifest(route);
      const modelService = buildModelService(input);
      const backends = routeBackendServices(route);
      expect(backends.length).toBeGreaterThan(0);
      for (const backend of backends) {
        expect(backend).toEqual({
          namespace: "kubeserve-system",
          name: "kubeserve-api",
          port: 4000,
        });
        expect(
          backend.name === modelService.metadata?.name &&
            backend.namespace === modelService.metadata?.namespace,
        ).toBe(false);
      }
    },
  );

  it("holds for every manifest a deployment builds, in every routing mode", () => {
    for (const [, routing] of routings) {
      const { apply } = buildModelDeploymentManifests(deploymentInput({ routing, replicas: 2 }));
      const routes = apply.filter((o) => o.kind === "HTTPRoute" || o.kind === "Ingress");
      expect(routes).toHaveLength(1);
      for (const route of routes) {
        const targets = routeBackendServices(route as never);
        expect(targets.every((t) => t.name !== deploymentResourceName(ids.deployment))).toBe(true);
        expect(targets.every((t) => t.namespace !== namespaceForUser(ids.user))).toBe(true);
      }
    }
  });

  it("the backend check itself sees a route to a model Service (so the test above can fail)", () => {
    const route = buildModelRoute(deploymentInput({ routing: routings[0]![1] }));
    if (route?.kind !== "HTTPRoute") throw new Error("expected an HTTPRoute");
    const rule = route.spec?.rules?.[0];
    if (!rule?.backendRefs?.[0]) throw new Error("expected a backend");
    rule.backendRefs[0] = { name: deploymentResourceName(ids.deployment), port: 8080 };
    expect(routeBackendServices(route)).toContainEqual({
      namespace: namespaceForUser(ids.user),
      name: deploymentResourceName(ids.deployment),
      port: 8080,
    });
  });
});

describe("HTTPRoute", () => {
  it("with a public prefix rewrites to the gateway's deployment path and /predict to the predict path", () => {
    const route = buildModelRoute(deploymentInput({ routing: routings[1]![1] }));
    if (route?.kind !== "HTTPRoute") throw new Error("expected an HTTPRoute");
    expect(route.metadata?.namespace).toBe(namespaceForUser(ids.user));
    expect(route.spec?.hostnames).toEqual(["models.example.com"]);
    expect(route.spec?.parentRefs).toEqual([
      {
        group: "gateway.networking.k8s.io",
        kind: "Gateway",
        name: "public",
        namespace: "gateways",
        sectionName: "https",
      },
    ]);
    const [prefix, predict] = route.spec?.rules ?? [];
    expect(prefix?.matches).toEqual([{ path: { type: "PathPrefix", value: "/team-a/iris" } }]);
    expect(prefix?.filters).toEqual([
      {
        type: "URLRewrite",
        urlRewrite: {
          path: { type: "ReplacePrefixMatch", replacePrefixMatch: paths.deploymentPrefix },
        },
      },
    ]);
    expect(predict?.matches).toEqual([{ path: { type: "Exact", value: "/team-a/iris/predict" } }]);
    expect(predict?.filters?.[0]?.urlRewrite?.path).toEqual({
      type: "ReplaceFullPath",
      replaceFullPath: paths.predict,
    });
  });

  it("on the gateway's own paths needs no rewrite", () => {
    const route = buildModelRoute(deploymentInput({ routing: routings[0]![1] }));
    if (route?.kind !== "HTTPRoute") throw new Error("expected an HTTPRoute");
    expect(route.spec?.rules?.map((r) => [r.matches?.[0]?.path, r.filters])).toEqual([
      [{ type: "PathPrefix", value: paths.deploymentPrefix }, undefined],
      [{ type: "Exact", value: paths.predict }, undefined],
    ]);
  });
});

describe("Ingress", () => {
  it("lives in the platform namespace (an Ingress can only name Services beside it) with class, host and TLS", () => {
    const route = buildModelRoute(deploymentInput({ routing: routings[3]![1] }));
    if (route?.kind !== "Ingress") throw new Error("expected an Ingress");
    expect(route.metadata?.namespace).toBe("kubeserve");
    expect(route.spec?.ingressClassName).toBe("nginx");
    expect(route.spec?.tls).toEqual([{ hosts: ["models.example.com"], secretName: "models-tls" }]);
    expect(route.spec?.rules?.[0]?.http?.paths.map((p) => [p.path, p.pathType])).toEqual([
      [paths.deploymentPrefix, "Prefix"],
      [paths.predict, "Exact"],
    ]);
  });

  it("is not built for routing none", () => {
    expect(buildModelRoute(deploymentInput())).toBeUndefined();
  });
});
