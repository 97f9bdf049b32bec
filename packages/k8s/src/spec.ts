import { z } from "zod";
import { parseOrThrow } from "./errors";
import { isDnsLabel, ZDeploymentName, ZModelName, ZUuid, ZVersionTag } from "./names";
import { isQuantity, toMilli, ZQuantity } from "./quantity";

// The typed input of every builder. Builders parse it again, so bad input never reaches a cluster.

const ZDnsLabel = z
  .string()
  .refine(
    (value) => isDnsLabel(value),
    "must be a DNS label: 1–63 lowercase letters, digits and '-', starting with a letter",
  );

const dnsSubdomainPattern = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const ZDnsSubdomain = z
  .string()
  .max(253, "must be at most 253 characters")
  .regex(dnsSubdomainPattern, "must be a DNS subdomain: lowercase letters, digits, '-' and '.'");

const hostnamePattern = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/;
const ZHostname = z
  .string()
  .max(253)
  .regex(hostnamePattern, "must be a lowercase DNS host name such as models.example.com");

const ZHttpUrl = z.url({ protocol: /^https?$/, error: "must be an absolute http(s) URL" });

const ZImage = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9._\-/:@]*$/,
    "must be a container image reference such as kubeserve/inference:0.1.0",
  );

const labelValuePattern = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const ZLabelMap = z.record(
  z.string().regex(/^([a-z0-9.-]+\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/, "bad label key"),
  z.string().max(63).regex(labelValuePattern, "bad label value"),
);

const ZCidr = z
  .string()
  .regex(
    /^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$|^[0-9a-fA-F:]+\/\d{1,3}$/,
    "must be a CIDR such as 10.0.0.0/16",
  );

const ZPort = z
  .number()
  .int()
  .min(1, "must be a port (1–65535)")
  .max(65535, "must be a port (1–65535)");

/** Where the platform (API + gateway) runs; routes and tenant NetworkPolicies point at it. */
export const ZPlatformSpec = z.object({
  namespace: ZDnsLabel.default("kubeserve"),
  apiServiceName: ZDnsLabel.default("kubeserve-api"),
  apiPort: ZPort.default(4000),
  apiPodLabels: ZLabelMap.default({ "app.kubernetes.io/name": "kubeserve-api" }),
  // The service account the kubernetes driver runs as; each tenant namespace binds it the tenant role.
  apiServiceAccount: ZDnsSubdomain.default("kubeserve-api"),
});

const ZCpuMemory = z.object({ cpu: ZQuantity, memory: ZQuantity });

const ZEgressTarget = z
  .object({
    cidrs: z.array(ZCidr).default([]),
    namespace: ZDnsLabel.optional(),
    podLabels: ZLabelMap.optional(),
    ports: z.array(ZPort).min(1, "needs at least one port"),
  })
  .refine((t) => t.cidrs.length > 0 || t.namespace !== undefined, "give cidrs or a namespace");

export const ZTenantSpec = z.object({
  userId: ZUuid,
  platform: ZPlatformSpec.prefault({}),
  quota: z
    .object({
      cpu: ZQuantity.default("2"),
      memory: ZQuantity.default("4Gi"),
      pods: z.number().int().min(1, "must be at least 1").max(10_000).default(5),
    })
    .prefault({}),
  limitRange: z
    .object({
      defaultRequest: ZCpuMemory.default({ cpu: "100m", memory: "128Mi" }),
      defaultLimit: ZCpuMemory.default({ cpu: "1", memory: "1Gi" }),
    })
    .prefault({}),
  network: z
    .object({
      ingressControllerNamespaces: z.array(ZDnsLabel).default([]),
      monitoringNamespaces: z.array(ZDnsLabel).default(["monitoring"]),
      dns: z
        .object({
          namespace: ZDnsLabel.default("kube-system"),
          podLabels: ZLabelMap.default({ "k8s-app": "kube-dns" }),
        })
        .prefault({}),
      // Only when artifacts are fetched from object storage directly (presigned URLs).
      objectStorage: ZEgressTarget.optional(),
      // Only when scikit-learn requirements are installed from a package index.
      packageIndex: ZEgressTarget.optional(),
    })
    .prefault({}),
});

const ZBatching = z.object({
  mode: z.enum(["auto", "on", "off"]).default("auto"),
  maxBatchSize: z.number().int().min(1).max(65_536).optional(),
  maxQueueDelayMs: z.number().min(0).max(1000).optional(),
  maxQueueSize: z.number().int().min(1).max(1_000_000).optional(),
  maxQueueBytes: z.number().int().min(1024).optional(),
});

const ZRouting = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("none") }),
  z.object({
    kind: z.literal("httproute"),
    parentRefs: z
      .array(
        z.object({
          name: ZDnsSubdomain,
          namespace: ZDnsLabel.optional(),
          sectionName: ZDnsSubdomain.optional(),
        }),
      )
      .min(1, "an HTTPRoute needs at least one parent Gateway"),
    hostnames: z.array(ZHostname).default([]),
    // Public path prefix, rewritten to the gateway's deployment path; default: the gateway path itself.
    pathPrefix: z
      .string()
      .regex(/^\/[A-Za-z0-9._~\-/]*[A-Za-z0-9._~-]$/, "must start with '/' and not end with '/'")
      .optional(),
  }),
  z.object({
    kind: z.literal("ingress"),
    className: ZDnsSubdomain,
    host: ZHostname,
    tlsSecretName: ZDnsSubdomain.optional(),
    annotations: z.record(z.string(), z.string()).default({}),
  }),
]);

export const ZModelDeploymentSpec = z
  .object({
    deploymentId: ZUuid,
    userId: ZUuid,
    modelId: ZUuid,
    versionId: ZUuid,
    deploymentName: ZDeploymentName,
    modelName: ZModelName,
    versionTag: ZVersionTag,
    framework: z.enum(["onnx", "sklearn"]),
    platform: ZPlatformSpec.prefault({}),
    images: z
      .object({
        onnx: ZImage.default("kubeserve/inference:latest"),
        sklearn: ZImage.default("kubeserve/runtime-sklearn:latest"),
        pullPolicy: z.enum(["Always", "IfNotPresent", "Never"]).default("IfNotPresent"),
        pullSecrets: z.array(ZDnsSubdomain).default([]),
      })
      .prefault({}),
    artifact: z.object({
      url: ZHttpUrl,
      sha256: z
        .string()
        .regex(/^[0-9a-fA-F]{64}$/, "must be 64 hex digits")
        .transform((value) => value.toLowerCase()),
      fileName: z
        .string()
        .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,100}$/, "must be a plain file name")
        .optional(),
      tokenSecretName: ZDnsSubdomain,
      tokenSecretKey: z
        .string()
        .regex(/^[-._a-zA-Z0-9]+$/, "bad Secret key")
        .default("token"),
      // Key of the same Secret holding the replica token the model server requires (unset: no token).
      replicaTokenSecretKey: z
        .string()
        .regex(/^[-._a-zA-Z0-9]+$/, "bad Secret key")
        .optional(),
      volumeSizeLimit: ZQuantity.default("4Gi"),
    }),
    requirements: z
      .object({
        url: ZHttpUrl,
        sha256: z
          .string()
          .regex(/^[0-9a-fA-F]{64}$/, "must be 64 hex digits")
          .transform((value) => value.toLowerCase()),
        packageIndexUrl: ZHttpUrl.optional(),
      })
      .optional(),
    replicas: z
      .number({ error: "must be a number" })
      .int("must be a whole number")
      .min(0, "must not be negative")
      .max(100, "must be at most 100")
      .default(1),
    resources: z
      .object({
        requests: ZCpuMemory.default({ cpu: "250m", memory: "512Mi" }),
        limits: ZCpuMemory.default({ cpu: "1", memory: "1Gi" }),
      })
      .prefault({}),
    autoscaling: z
      .object({
        minReplicas: z.number().int().min(1, "must be at least 1"),
        maxReplicas: z.number().int().min(1, "must be at least 1").max(100),
        targetCpuUtilization: z.number().int().min(1).max(1000).default(70),
        targetMemoryUtilization: z.number().int().min(1).max(1000).default(80),
      })
      .optional(),
    batching: ZBatching.prefault({}),
    routing: ZRouting.default({ kind: "none" }),
    monitoring: z
      .object({
        serviceMonitor: z.boolean().default(true),
        labels: ZLabelMap.default({}),
        interval: z
          .string()
          .regex(/^\d+(ms|s|m)$/, "must be a duration such as 15s")
          .default("15s"),
      })
      .prefault({}),
    logLevel: z
      .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"])
      .default("info"),
  })
  .superRefine((spec, ctx) => {
    for (const key of ["cpu", "memory"] as const) {
      const request = spec.resources.requests[key];
      const limit = spec.resources.limits[key];
      if (isQuantity(request) && isQuantity(limit) && toMilli(limit) < toMilli(request)) {
        ctx.addIssue({
          code: "custom",
          path: ["resources", "limits", key],
          message: `limit ${limit} is below the request ${request}`,
        });
      }
    }
    const auto = spec.autoscaling;
    if (auto && auto.minReplicas > auto.maxReplicas) {
      ctx.addIssue({
        code: "custom",
        path: ["autoscaling", "minReplicas"],
        message: `minReplicas ${auto.minReplicas} is greater than maxReplicas ${auto.maxReplicas}`,
      });
    }
    if (
      auto &&
      spec.replicas > 0 &&
      (spec.replicas < auto.minReplicas || spec.replicas > auto.maxReplicas)
    ) {
      ctx.addIssue({
        code: "custom",
        path: ["replicas"],
        message: `replicas ${spec.replicas} is outside autoscaling ${auto.minReplicas}–${auto.maxReplicas} (0 stops the deployment)`,
      });
    }
    if (spec.requirements && spec.framework !== "sklearn") {
      ctx.addIssue({
        code: "custom",
        path: ["requirements"],
        message: "requirements are only installed for sklearn versions",
      });
    }
  });

export type TPlatformSpec = z.output<typeof ZPlatformSpec>;
export type TTenantSpec = z.output<typeof ZTenantSpec>;
export type TTenantSpecInput = z.input<typeof ZTenantSpec>;
export type TModelDeploymentSpec = z.output<typeof ZModelDeploymentSpec>;
export type TModelDeploymentSpecInput = z.input<typeof ZModelDeploymentSpec>;
export type TRoutingSpec = TModelDeploymentSpec["routing"];

export function parseTenantSpec(input: TTenantSpecInput): TTenantSpec {
  return parseOrThrow(ZTenantSpec, input, "tenant spec");
}

export function parseModelDeploymentSpec(input: TModelDeploymentSpecInput): TModelDeploymentSpec {
  return parseOrThrow(ZModelDeploymentSpec, input, "model deployment spec");
}
