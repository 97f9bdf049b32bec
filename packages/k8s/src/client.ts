import { existsSync, readFileSync } from "node:fs";
import { isIPv6 } from "node:net";
import path from "node:path";
import {
  AppsV1Api,
  AutoscalingV2Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  KubernetesObjectApi,
  Log,
  NetworkingV1Api,
  PolicyV1Api,
  Watch,
} from "@kubernetes/client-node";
import { readK8sEnvironment, SERVICE_ACCOUNT_DIR } from "./config";

// One factory for every Kubernetes client the platform uses. Inside a pod it uses the mounted service
// account; elsewhere the kubeconfig; tests inject a KubeConfig that points at a local fake server.

export type TK8sSource = "injected" | "in-cluster" | "kubeconfig";

export type TCreateK8sApiOptions = {
  /** A ready KubeConfig (e.g. from `kubeConfigForServer`); wins over everything else. */
  kubeConfig?: KubeConfig;
  /** `auto` (default): in-cluster inside a pod, the kubeconfig otherwise. */
  mode?: "auto" | "in-cluster" | "kubeconfig";
  /** Default: `KUBECONFIG`, then `~/.kube/config`. */
  kubeconfigPath?: string;
  context?: string;
  env?: NodeJS.ProcessEnv;
  serviceAccountDir?: string;
};

/** A KubeConfig for one API server URL, e.g. a fake server in a test or `kubectl proxy`. */
export function kubeConfigForServer(options: {
  server: string;
  token?: string;
  caData?: string;
  namespace?: string;
}): KubeConfig {
  const kubeConfig = new KubeConfig();
  // client-node refuses plain http unless TLS checks are off; over http there is nothing to verify.
  const isPlainHttp = options.server.startsWith("http://");
  kubeConfig.loadFromOptions({
    clusters: [
      {
        name: "target",
        server: options.server,
        skipTLSVerify: isPlainHttp,
        caData: options.caData,
      },
    ],
    users: [{ name: "target-user", ...(options.token ? { token: options.token } : {}) }],
    contexts: [
      { name: "target", cluster: "target", user: "target-user", namespace: options.namespace },
    ],
    currentContext: "target",
  });
  return kubeConfig;
}

/**
 * The pod's own service account. The token is re-read from its file (every minute, as client-go
 * does), so the kubelet's rotation of projected tokens is picked up without a restart.
 */
export function inClusterKubeConfig(
  env: NodeJS.ProcessEnv,
  serviceAccountDir = SERVICE_ACCOUNT_DIR,
): KubeConfig {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) {
    throw new Error(
      "not inside a pod: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are unset",
    );
  }
  const namespaceFile = path.join(serviceAccountDir, "namespace");
  const namespace = existsSync(namespaceFile)
    ? readFileSync(namespaceFile, "utf8").trim()
    : undefined;
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [
      {
        name: "in-cluster",
        server: `https://${isIPv6(host) ? `[${host}]` : host}:${port}`,
        caFile: path.join(serviceAccountDir, "ca.crt"),
        skipTLSVerify: false,
      },
    ],
    users: [
      {
        name: "service-account",
        authProvider: {
          name: "tokenFile",
          config: { tokenFile: path.join(serviceAccountDir, "token") },
        },
      },
    ],
    contexts: [{ name: "in-cluster", cluster: "in-cluster", user: "service-account", namespace }],
    currentContext: "in-cluster",
  });
  return kubeConfig;
}

function loadKubeConfig(options: TCreateK8sApiOptions): {
  kubeConfig: KubeConfig;
  source: TK8sSource;
} {
  if (options.kubeConfig) return { kubeConfig: options.kubeConfig, source: "injected" };
  const serviceAccountDir = options.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  const detected = readK8sEnvironment(options.env, serviceAccountDir);
  const mode = options.mode ?? "auto";
  if (mode === "in-cluster" || (mode === "auto" && detected.isInPod)) {
    return {
      kubeConfig: inClusterKubeConfig(detected.env, serviceAccountDir),
      source: "in-cluster",
    };
  }
  const files = options.kubeconfigPath ? [options.kubeconfigPath] : detected.kubeconfigPaths;
  if (!files.length) {
    throw new Error(
      "no Kubernetes credentials: not inside a pod, KUBECONFIG is unset and ~/.kube/config is missing",
    );
  }
  const kubeConfig = new KubeConfig();
  for (const [index, file] of files.entries()) {
    if (index === 0) kubeConfig.loadFromFile(file);
    else {
      // Like kubectl, later files add clusters and users but the first file's context wins.
      const extra = new KubeConfig();
      extra.loadFromFile(file);
      kubeConfig.mergeConfig(extra, true);
    }
  }
  if (options.context) kubeConfig.setCurrentContext(options.context);
  if (!kubeConfig.getCurrentCluster()) {
    throw new Error(`no current Kubernetes context in ${files.join(", ")}`);
  }
  return { kubeConfig, source: "kubeconfig" };
}

export function createK8sApi(options: TCreateK8sApiOptions = {}) {
  const { kubeConfig, source } = loadKubeConfig(options);
  return {
    kubeConfig,
    source,
    server: kubeConfig.getCurrentCluster()?.server ?? "",
    core: kubeConfig.makeApiClient(CoreV1Api),
    apps: kubeConfig.makeApiClient(AppsV1Api),
    autoscaling: kubeConfig.makeApiClient(AutoscalingV2Api),
    policy: kubeConfig.makeApiClient(PolicyV1Api),
    networking: kubeConfig.makeApiClient(NetworkingV1Api),
    custom: kubeConfig.makeApiClient(CustomObjectsApi),
    /** Generic client for server-side apply of any kind (see `applyObject`). */
    objects: KubernetesObjectApi.makeApiClient(kubeConfig),
    watch: new Watch(kubeConfig),
    log: new Log(kubeConfig),
  };
}

export type K8sApi = ReturnType<typeof createK8sApi>;
