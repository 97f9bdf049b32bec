import type { IHTTPRoute } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute";
import type { IHTTPRouteRule } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRouteRule";
import type { IReferenceGrant } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1beta1/ReferenceGrant";
import type { IIngress } from "kubernetes-models/networking.k8s.io/v1/Ingress";
import { tenantLabels } from "./labels";
import { namespaceForUser } from "./names";
import {
  parseModelDeploymentSpec,
  parseTenantSpec,
  type TModelDeploymentSpec,
  type TModelDeploymentSpecInput,
  type TTenantSpecInput,
} from "./spec";
import { metadataFor } from "./workload";

// Public routes lead to the gateway (the API Service in the platform namespace) and nowhere else:
// the gateway checks the API key, so a route to a model Service would be a way around it.

/** The gateway's own paths for one deployment (contracts §3). */
export function gatewayPaths(deploymentId: string) {
  return {
    deploymentPrefix: `/api/v1/deployments/${deploymentId}`,
    predict: `/api/v1/predict/${deploymentId}`,
  };
}

function gatewayBackend(spec: TModelDeploymentSpec) {
  return {
    group: "",
    kind: "Service",
    name: spec.platform.apiServiceName,
    namespace: spec.platform.namespace,
    port: spec.platform.apiPort,
  };
}

function httpRouteRules(
  spec: TModelDeploymentSpec,
  pathPrefix: string | undefined,
): IHTTPRouteRule[] {
  const paths = gatewayPaths(spec.deploymentId);
  const backendRefs = [gatewayBackend(spec)];
  if (pathPrefix === undefined || pathPrefix === paths.deploymentPrefix) {
    return [
      { matches: [{ path: { type: "PathPrefix", value: paths.deploymentPrefix } }], backendRefs },
      { matches: [{ path: { type: "Exact", value: paths.predict } }], backendRefs },
    ];
  }
  return [
    {
      matches: [{ path: { type: "PathPrefix", value: pathPrefix } }],
      filters: [
        {
          type: "URLRewrite",
          urlRewrite: {
            path: { type: "ReplacePrefixMatch", replacePrefixMatch: paths.deploymentPrefix },
          },
        },
      ],
      backendRefs,
    },
    {
      matches: [{ path: { type: "Exact", value: `${pathPrefix}/predict` } }],
      filters: [
        {
          type: "URLRewrite",
          urlRewrite: { path: { type: "ReplaceFullPath", replaceFullPath: paths.predict } },
        },
      ],
      backendRefs,
    },
  ];
}

/**
 * The deployment's public route, or undefined for `routing.kind: none`. An HTTPRoute lives in the
 * tenant namespace (its cross-namespace backend needs `buildGatewayReferenceGrant`); an Ingress lives
 * in the platform namespace, since an Ingress can only name Services in its own namespace.
 */
export function buildModelRoute(
  input: TModelDeploymentSpecInput,
): IHTTPRoute | IIngress | undefined {
  const spec = parseModelDeploymentSpec(input);
  const routing = spec.routing;
  if (routing.kind === "none") return undefined;
  if (routing.kind === "httproute") {
    return {
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "HTTPRoute",
      metadata: metadataFor(spec),
      spec: {
        parentRefs: routing.parentRefs.map((ref) => ({
          group: "gateway.networking.k8s.io",
          kind: "Gateway",
          name: ref.name,
          ...(ref.namespace ? { namespace: ref.namespace } : {}),
          ...(ref.sectionName ? { sectionName: ref.sectionName } : {}),
        })),
        ...(routing.hostnames.length ? { hostnames: routing.hostnames } : {}),
        rules: httpRouteRules(spec, routing.pathPrefix),
      },
    };
  }
  const paths = gatewayPaths(spec.deploymentId);
  const backend = {
    service: { name: spec.platform.apiServiceName, port: { number: spec.platform.apiPort } },
  };
  const meta = metadataFor(spec);
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: {
      ...meta,
      namespace: spec.platform.namespace,
      annotations: { ...meta.annotations, ...routing.annotations },
    },
    spec: {
      ingressClassName: routing.className,
      ...(routing.tlsSecretName
        ? { tls: [{ hosts: [routing.host], secretName: routing.tlsSecretName }] }
        : {}),
      rules: [
        {
          host: routing.host,
          http: {
            paths: [
              { path: paths.deploymentPrefix, pathType: "Prefix", backend },
              { path: paths.predict, pathType: "Exact", backend },
            ],
          },
        },
      ],
    },
  };
}

export function referenceGrantName(userId: string): string {
  return `kubeserve-routes-from-${namespaceForUser(userId)}`;
}

/** Lets HTTPRoutes in one tenant namespace name the API Service, and only that Service. */
export function buildGatewayReferenceGrant(input: TTenantSpecInput): IReferenceGrant {
  const spec = parseTenantSpec(input);
  return {
    apiVersion: "gateway.networking.k8s.io/v1beta1",
    kind: "ReferenceGrant",
    metadata: {
      name: referenceGrantName(spec.userId),
      namespace: spec.platform.namespace,
      labels: tenantLabels({ userId: spec.userId }, "route-grant"),
    },
    spec: {
      from: [
        {
          group: "gateway.networking.k8s.io",
          kind: "HTTPRoute",
          namespace: namespaceForUser(spec.userId),
        },
      ],
      to: [{ group: "", kind: "Service", name: spec.platform.apiServiceName }],
    },
  };
}

export type TServiceRef = { namespace: string; name: string; port: number | string | undefined };

/** Every Service a built route sends traffic to (what the "never a model Service" test checks). */
export function routeBackendServices(route: IHTTPRoute | IIngress): TServiceRef[] {
  const namespace = route.metadata?.namespace ?? "";
  if (route.kind === "HTTPRoute") {
    return (route.spec?.rules ?? []).flatMap((rule) =>
      (rule.backendRefs ?? []).map((ref) => ({
        namespace: ref.namespace ?? namespace,
        name: ref.name,
        port: ref.port,
      })),
    );
  }
  const backends = [
    route.spec?.defaultBackend,
    ...(route.spec?.rules ?? []).flatMap((rule) => (rule.http?.paths ?? []).map((p) => p.backend)),
  ];
  return backends.flatMap((backend) =>
    backend?.service
      ? [
          {
            namespace,
            name: backend.service.name,
            port: backend.service.port?.number ?? backend.service.port?.name,
          },
        ]
      : [],
  );
}
