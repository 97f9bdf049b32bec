import { z } from "zod";

// Kubernetes runtime section of the API's environment; `config.ts` is still the only reader.

function positive(what: string) {
  return z.coerce
    .number({ error: `must be ${what}` })
    .int(`must be ${what}`)
    .positive(`must be ${what}`);
}

const dnsLabel = z
  .string()
  .regex(
    /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/,
    "must be a DNS label (lowercase letters, digits, '-')",
  );

const image = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9._\-/:@]*$/,
    "must be an image reference such as kubeserve/inference:0.1.0",
  );

export const ZKubernetesEnv = z.object({
  KUBERNETES_ENABLED: z
    .enum(["true", "false", "1", "0"], { error: "must be true or false" })
    .transform((value) => value === "true" || value === "1")
    .default(false),
  KUBERNETES_ARTIFACT_ORIGIN: z
    .url({
      protocol: /^https?$/,
      error: "must be an absolute http(s) URL such as http://kubeserve-api.kubeserve.svc:4000",
    })
    .optional(),
  KUBERNETES_CONFIG_MODE: z
    .enum(["auto", "in-cluster", "kubeconfig"], { error: "must be auto, in-cluster or kubeconfig" })
    .default("auto"),
  KUBERNETES_KUBECONFIG: z.string().min(1).optional(),
  KUBERNETES_CONTEXT: z.string().min(1).optional(),
  KUBERNETES_ENDPOINTS: z
    .enum(["cluster-dns", "service-proxy"], { error: "must be cluster-dns or service-proxy" })
    .default("cluster-dns"),
  KUBERNETES_CLUSTER_DOMAIN: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, "must be a DNS domain such as cluster.local")
    .default("cluster.local"),
  KUBERNETES_PLATFORM_NAMESPACE: dnsLabel.default("kubeserve"),
  KUBERNETES_API_SERVICE: dnsLabel.default("kubeserve-api"),
  KUBERNETES_IMAGE_ONNX: image.default("kubeserve/inference:latest"),
  KUBERNETES_IMAGE_SKLEARN: image.default("kubeserve/runtime-sklearn:latest"),
  KUBERNETES_READY_TIMEOUT_SECONDS: positive("a positive number of seconds").default(300),
  KUBERNETES_RETRY_ATTEMPTS: positive("a positive whole number").default(5),
  KUBERNETES_RETRY_BACKOFF_MS: positive("a positive number of milliseconds").default(200),
  KUBERNETES_WATCH_BACKOFF_MS: positive("a positive number of milliseconds").default(1000),
  KUBERNETES_FORCE_APPLY: z
    .enum(["true", "false", "1", "0"], { error: "must be true or false" })
    .transform((value) => value === "true" || value === "1")
    .default(false),
});

export type TKubernetesEnv = z.infer<typeof ZKubernetesEnv>;

export type TKubernetesConfig = {
  /** Whether this API deploys to Kubernetes at all (KUBERNETES_ENABLED). */
  isEnabled: boolean;
  /** The API as model pods reach it (the artifact route), without a trailing slash. */
  artifactOrigin: string;
  configMode: "auto" | "in-cluster" | "kubeconfig";
  kubeconfigPath: string | undefined;
  context: string | undefined;
  /** `cluster-dns`: the API runs in the cluster; `service-proxy`: outside, through the API server. */
  endpoints: "cluster-dns" | "service-proxy";
  clusterDomain: string;
  platformNamespace: string;
  apiServiceName: string;
  images: { onnx: string; sklearn: string };
  readyTimeoutMs: number;
  retryAttempts: number;
  retryBackoffMs: number;
  watchBackoffMs: number;
  isForceApply: boolean;
};

export function toKubernetesConfig(e: TKubernetesEnv): TKubernetesConfig {
  const domain = e.KUBERNETES_CLUSTER_DOMAIN;
  const inCluster = `http://${e.KUBERNETES_API_SERVICE}.${e.KUBERNETES_PLATFORM_NAMESPACE}.svc.${domain}:4000`;
  return {
    isEnabled: e.KUBERNETES_ENABLED,
    artifactOrigin: (e.KUBERNETES_ARTIFACT_ORIGIN ?? inCluster).replace(/\/+$/, ""),
    configMode: e.KUBERNETES_CONFIG_MODE,
    kubeconfigPath: e.KUBERNETES_KUBECONFIG,
    context: e.KUBERNETES_CONTEXT,
    endpoints: e.KUBERNETES_ENDPOINTS,
    clusterDomain: e.KUBERNETES_CLUSTER_DOMAIN,
    platformNamespace: e.KUBERNETES_PLATFORM_NAMESPACE,
    apiServiceName: e.KUBERNETES_API_SERVICE,
    images: { onnx: e.KUBERNETES_IMAGE_ONNX, sklearn: e.KUBERNETES_IMAGE_SKLEARN },
    readyTimeoutMs: e.KUBERNETES_READY_TIMEOUT_SECONDS * 1000,
    retryAttempts: e.KUBERNETES_RETRY_ATTEMPTS,
    retryBackoffMs: e.KUBERNETES_RETRY_BACKOFF_MS,
    watchBackoffMs: e.KUBERNETES_WATCH_BACKOFF_MS,
    isForceApply: e.KUBERNETES_FORCE_APPLY,
  };
}

/** A start-up refusal: the default runtime must be one this API has enabled. */
export function kubernetesConfigProblem(
  e: TKubernetesEnv & { RUNTIME_DEFAULT: string },
): string | undefined {
  if (e.RUNTIME_DEFAULT === "kubernetes" && !e.KUBERNETES_ENABLED) {
    return "RUNTIME_DEFAULT: is kubernetes but the kubernetes runtime is off; set KUBERNETES_ENABLED=true (with its credentials) or RUNTIME_DEFAULT=local";
  }
  return undefined;
}
