import { deploymentResourceName, namespaceForUser } from "./names";
import { buildModelRoute } from "./routing";
import {
  buildModelHpa,
  buildModelPdb,
  buildModelService,
  buildModelServiceMonitor,
} from "./services";
import { parseModelDeploymentSpec, type TModelDeploymentSpecInput } from "./spec";
import { buildModelDeployment } from "./workload";

// Everything one deployment needs, in apply order, plus what must NOT exist for this spec (server-side
// apply never deletes, so a PDB left from a 3-replica spec must be removed when it drops to 1).

export type TK8sObject = {
  apiVersion: string;
  kind: string;
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
};

export type TObjectRef = { apiVersion: string; kind: string; namespace: string; name: string };

export type TModelDeploymentManifests = { apply: TK8sObject[]; prune: TObjectRef[] };

export function buildModelDeploymentManifests(
  input: TModelDeploymentSpecInput,
): TModelDeploymentManifests {
  const spec = parseModelDeploymentSpec(input);
  const name = deploymentResourceName(spec.deploymentId);
  const tenantNs = namespaceForUser(spec.userId);
  const optional: Array<[TObjectRef, TK8sObject | undefined]> = [
    [
      { apiVersion: "autoscaling/v2", kind: "HorizontalPodAutoscaler", namespace: tenantNs, name },
      buildModelHpa(spec),
    ],
    [
      { apiVersion: "policy/v1", kind: "PodDisruptionBudget", namespace: tenantNs, name },
      buildModelPdb(spec),
    ],
    [
      { apiVersion: "monitoring.coreos.com/v1", kind: "ServiceMonitor", namespace: tenantNs, name },
      buildModelServiceMonitor(spec),
    ],
  ];
  const route = buildModelRoute(spec);
  const routeRefs: TObjectRef[] = [
    { apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", namespace: tenantNs, name },
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      namespace: spec.platform.namespace,
      name,
    },
  ];
  const apply: TK8sObject[] = [buildModelService(spec), buildModelDeployment(spec)];
  const prune: TObjectRef[] = [];
  for (const [ref, object] of optional) {
    if (object) apply.push(object);
    else prune.push(ref);
  }
  if (route) apply.push(route);
  prune.push(...routeRefs.filter((ref) => ref.kind !== route?.kind));
  return { apply, prune };
}
