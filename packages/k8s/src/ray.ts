import type { IConfigMap } from "kubernetes-models/v1/ConfigMap";
import type { IContainer } from "kubernetes-models/v1/Container";
import type { IPodTemplateSpec } from "kubernetes-models/v1/PodTemplateSpec";
import { z } from "zod";
import { parseOrThrow } from "./errors";
import { LABEL, MANAGED_BY, PART_OF } from "./labels";
import { isDnsLabel } from "./names";
import { toMilli, ZQuantity } from "./quantity";
import { mergeServeConfigV2, type TServeConfigChange } from "./serve-config";

// A KubeRay RayService for teams that want KubeServe to create their Ray cluster, with the original
// design's env pattern: every Ray pod reads a shared ConfigMap; only client pods (which connect to the
// head) also read the client ConfigMap, the one place RAY_ADDRESS is set. Head and workers resolve
// `auto` themselves.

export const RAY_CLIENT_PORT = 10001;
export const RAY_DASHBOARD_PORT = 8265;
export const RAY_SERVE_PORT = 8000;
export const RAY_GCS_PORT = 6379;

const ZName = z
  .string()
  .refine((value) => isDnsLabel(value, 40), "must be a DNS label of at most 40 characters");
const ZResources = z
  .object({ cpu: ZQuantity, memory: ZQuantity })
  .default({ cpu: "1", memory: "2Gi" });

export const ZRayServiceSpec = z
  .object({
    name: ZName,
    namespace: z.string().refine((value) => isDnsLabel(value), "must be a DNS label"),
    rayVersion: z.string().regex(/^\d+\.\d+\.\d+$/, "must be a Ray version such as 2.40.0"),
    image: z.string().regex(/^[a-z0-9][a-z0-9._\-/:@]*$/, "must be a container image reference"),
    rayNamespace: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/)
      .default("kubeserve"),
    head: z.object({ resources: ZResources }).prefault({}),
    workers: z
      .array(
        z.object({
          groupName: ZName,
          replicas: z.number().int().min(0),
          minReplicas: z.number().int().min(0),
          maxReplicas: z.number().int().min(1),
          resources: ZResources,
        }),
      )
      .default([]),
    serveConfigV2: z.string().default(""),
    labels: z.record(z.string(), z.string()).default({}),
  })
  .superRefine((spec, ctx) => {
    spec.workers.forEach((group, index) => {
      if (
        group.minReplicas > group.maxReplicas ||
        group.replicas < group.minReplicas ||
        group.replicas > group.maxReplicas
      ) {
        ctx.addIssue({
          code: "custom",
          path: ["workers", index, "replicas"],
          message: `need minReplicas ≤ replicas ≤ maxReplicas, got ${group.minReplicas} ≤ ${group.replicas} ≤ ${group.maxReplicas}`,
        });
      }
    });
  });

export type TRayServiceSpec = z.output<typeof ZRayServiceSpec>;
export type TRayServiceSpecInput = z.input<typeof ZRayServiceSpec>;

/** The RayService object type we build: the parts of KubeRay's `ray.io/v1` schema we set. */
export type TRayService = {
  apiVersion: "ray.io/v1";
  kind: "RayService";
  metadata: { name: string; namespace: string; labels?: Record<string, string> };
  spec: {
    serveConfigV2?: string;
    rayClusterConfig?: {
      rayVersion: string;
      enableInTreeAutoscaling?: boolean;
      headGroupSpec: { rayStartParams: Record<string, string>; template: IPodTemplateSpec };
      workerGroupSpecs?: Array<{
        groupName: string;
        replicas: number;
        minReplicas: number;
        maxReplicas: number;
        rayStartParams: Record<string, string>;
        template: IPodTemplateSpec;
      }>;
    };
  };
};

export function rayConfigMapNames(name: string) {
  return { shared: `${name}-ray-shared`, client: `${name}-ray-client` };
}

/** KubeRay names the head Service of a RayService `<name>-head-svc`. */
export function rayHeadServiceName(name: string): string {
  return `${name}-head-svc`;
}

function labels(spec: TRayServiceSpec, component: string): Record<string, string> {
  return {
    ...spec.labels,
    [LABEL.name]: "kubeserve-ray",
    [LABEL.instance]: spec.name,
    [LABEL.component]: component,
    [LABEL.partOf]: PART_OF,
    [LABEL.managedBy]: MANAGED_BY,
  };
}

/** Shared (every Ray pod) and client (pods that connect to the head) environment, one place each. */
export function buildRayConfigMaps(input: TRayServiceSpecInput): {
  shared: IConfigMap;
  client: IConfigMap;
} {
  const spec = parseOrThrow(ZRayServiceSpec, input, "RayService spec");
  const names = rayConfigMapNames(spec.name);
  const host = `${rayHeadServiceName(spec.name)}.${spec.namespace}.svc`;
  const meta = (name: string, component: string) => ({
    name,
    namespace: spec.namespace,
    labels: labels(spec, component),
  });
  return {
    shared: {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: meta(names.shared, "ray-shared-env"),
      data: {
        RAY_HOST: host,
        RAY_PORT: String(RAY_CLIENT_PORT),
        RAY_DASHBOARD_URL: `http://${host}:${RAY_DASHBOARD_PORT}`,
        RAY_SERVE_URL: `http://${host}:${RAY_SERVE_PORT}`,
        RAY_NAMESPACE: spec.rayNamespace,
      },
    },
    client: {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: meta(names.client, "ray-client-env"),
      data: { RAY_ADDRESS: `ray://${host}:${RAY_CLIENT_PORT}` },
    },
  };
}

/** `envFrom` for a client pod (e.g. the API or a Serve client): shared + client ConfigMaps. */
export function rayClientEnvFrom(name: string) {
  const names = rayConfigMapNames(name);
  return [{ configMapRef: { name: names.shared } }, { configMapRef: { name: names.client } }];
}

function resources(quantities: { cpu: string; memory: string }) {
  return { requests: { ...quantities }, limits: { ...quantities } };
}

function rayContainer(
  spec: TRayServiceSpec,
  name: string,
  quantities: { cpu: string; memory: string },
  ports: IContainer["ports"],
): IContainer {
  return {
    name,
    image: spec.image,
    // Cluster pods get only the shared ConfigMap: no RAY_ADDRESS, so they resolve `auto`.
    envFrom: [{ configMapRef: { name: rayConfigMapNames(spec.name).shared } }],
    resources: resources(quantities),
    ...(ports ? { ports } : {}),
    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
  };
}

/** Whole CPUs for `ray start --num-cpus` (Ray counts integer CPUs). */
function numCpus(cpu: string): string {
  return String(Math.max(1, Math.floor(toMilli(cpu) / 1000)));
}

export function buildRayService(input: TRayServiceSpecInput): TRayService {
  const spec = parseOrThrow(ZRayServiceSpec, input, "RayService spec");
  const hasAutoscaling = spec.workers.some((group) => group.minReplicas < group.maxReplicas);
  return {
    apiVersion: "ray.io/v1",
    kind: "RayService",
    metadata: { name: spec.name, namespace: spec.namespace, labels: labels(spec, "ray-cluster") },
    spec: {
      serveConfigV2: spec.serveConfigV2,
      rayClusterConfig: {
        rayVersion: spec.rayVersion,
        ...(hasAutoscaling ? { enableInTreeAutoscaling: true } : {}),
        headGroupSpec: {
          // The Serve REST API on the dashboard must listen beyond loopback for the API to reach it.
          rayStartParams: {
            "dashboard-host": "0.0.0.0",
            "num-cpus": numCpus(spec.head.resources.cpu),
          },
          template: {
            metadata: { labels: labels(spec, "ray-head") },
            spec: {
              containers: [
                rayContainer(spec, "ray-head", spec.head.resources, [
                  { name: "gcs-server", containerPort: RAY_GCS_PORT },
                  { name: "dashboard", containerPort: RAY_DASHBOARD_PORT },
                  { name: "client", containerPort: RAY_CLIENT_PORT },
                  { name: "serve", containerPort: RAY_SERVE_PORT },
                ]),
              ],
            },
          },
        },
        workerGroupSpecs: spec.workers.map((group) => ({
          groupName: group.groupName,
          replicas: group.replicas,
          minReplicas: group.minReplicas,
          maxReplicas: group.maxReplicas,
          rayStartParams: { "num-cpus": numCpus(group.resources.cpu) },
          template: {
            metadata: { labels: labels(spec, "ray-worker") },
            spec: { containers: [rayContainer(spec, "ray-worker", group.resources, undefined)] },
          },
        })),
      },
    },
  };
}

/**
 * The server-side-apply patch for the KubeRay backend: only `spec.serveConfigV2`, merged from the
 * RayService's current value, so KubeServe never takes ownership of the cluster spec.
 */
export function buildServeConfigPatch(
  rayService: { name: string; namespace: string; serveConfigV2: string | undefined },
  change: TServeConfigChange,
): TRayService {
  return {
    apiVersion: "ray.io/v1",
    kind: "RayService",
    metadata: { name: rayService.name, namespace: rayService.namespace },
    spec: { serveConfigV2: mergeServeConfigV2(rayService.serveConfigV2, change) },
  };
}
