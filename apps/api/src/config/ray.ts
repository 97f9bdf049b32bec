import { z } from "zod";

// Ray section of the API's environment; `config.ts` is still the only reader. One resolution rule per
// pod role of the original design: client pods (the API) use RAY_ADDRESS or ray://RAY_HOST:RAY_PORT,
// head and worker pods (shared ConfigMap only, no RAY_ADDRESS) use `auto`.

function positive(what: string) {
  return z.coerce
    .number({ error: `must be ${what}` })
    .int(`must be ${what}`)
    .positive(`must be ${what}`);
}

const ZHttpUrl = z
  .string()
  .regex(/^https?:\/\/[^/\s]+(\/[^\s]*)?$/, "must be an http(s) URL such as http://ray-head:8265")
  .transform((value) => value.replace(/\/+$/, ""));

const runtimeKinds = ["local", "kubernetes", "ray"] as const;

export const ZRayEnv = z.object({
  RUNTIMES_ENABLED: z
    .string()
    .default("local")
    .transform((value) =>
      value
        .split(",")
        .map((kind) => kind.trim())
        .filter(Boolean),
    )
    .pipe(
      z.array(
        z.enum(runtimeKinds, {
          error: "must be a comma-separated list of local, kubernetes, ray",
        }),
      ),
    ),
  RAY_ADDRESS: z
    .string()
    .regex(/^(auto|ray:\/\/[^\s:/]+:\d{1,5})$/, "must be ray://host:port or auto")
    .optional(),
  RAY_HOST: z
    .string()
    .regex(/^[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?$/, "must be a host name or IPv4 address")
    .optional(),
  RAY_PORT: z.coerce
    .number({ error: "must be a port number" })
    .int("must be a port number")
    .min(1, "must be between 1 and 65535")
    .max(65535, "must be between 1 and 65535")
    .default(10001),
  RAY_DASHBOARD_URL: ZHttpUrl.optional(),
  RAY_SERVE_URL: ZHttpUrl.optional(),
  RAY_NAMESPACE: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,63}$/, "must be letters, digits, '_' or '-'")
    .default("kubeserve"),
  RAY_MANAGED_BY: z.enum(["rest", "kuberay"], { error: "must be rest or kuberay" }).default("rest"),
  RAY_SERVICE_NAME: z
    .string()
    .regex(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/, "must be a DNS label")
    .optional(),
  RAY_SERVICE_NAMESPACE: z
    .string()
    .regex(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/, "must be a DNS label")
    .optional(),
  RAY_ARTIFACT_ORIGIN: ZHttpUrl.optional(),
  RAY_ARTIFACT_URL_TTL_SECONDS: positive("a positive number of seconds").default(900),
  RAY_IMPORT_PATH: z
    .string()
    .regex(/^[A-Za-z_][\w.]*:[A-Za-z_]\w*$/, "must be module.path:attribute")
    .default("kubeserve_sklearn.ray_entry:app"),
  RAY_PY_MODULES: z
    .string()
    .optional()
    .transform((value) =>
      (value ?? "")
        .split(",")
        .map((uri) => uri.trim())
        .filter(Boolean),
    ),
  RAY_PREFLIGHT_SECONDS: positive("a positive number of seconds").default(60),
  RAY_REQUEST_TIMEOUT_MS: positive("a positive number of milliseconds").default(10_000),
  RAY_RETRY_ATTEMPTS: positive("a positive whole number").default(5),
  RAY_RETRY_BACKOFF_MS: positive("a positive number of milliseconds").default(500),
  RAY_POLL_MS: positive("a positive number of milliseconds").default(2000),
  RAY_READY_TIMEOUT_SECONDS: positive("a positive number of seconds").default(300),
});

export type TRayEnv = z.infer<typeof ZRayEnv>;

export type TRayPodRole = "client" | "head" | "worker";

export type TRayConfig = {
  isEnabled: boolean;
  /** `ray://host:port` on client pods, `auto` on head and worker pods. */
  address: string;
  /** Serve REST API (`/api/serve/applications/`) on the dashboard port. */
  dashboardUrl: string;
  /** Serve's HTTP proxy: the gateway's origin for ray deployments. */
  serveUrl: string;
  namespace: string;
  managedBy: "rest" | "kuberay";
  rayService: { name: string; namespace: string } | undefined;
  /** Where Ray replicas fetch artifacts from this API (undefined: API_PUBLIC_URL). */
  artifactOrigin: string | undefined;
  artifactUrlTtlMs: number;
  importPath: string;
  pyModules: string[];
  preflightMs: number;
  requestTimeoutMs: number;
  retryAttempts: number;
  retryBackoffMs: number;
  pollMs: number;
  readyTimeoutMs: number;
};

export class RayConfigError extends Error {
  override name = "RayConfigError";
}

function hostOfAddress(address: string | undefined): { host: string; port: number } | undefined {
  const match = /^ray:\/\/([^:/]+):(\d+)$/.exec(address ?? "");
  return match ? { host: match[1]!, port: Number(match[2]) } : undefined;
}

/** The one place Ray's address and URLs are derived; throws a message naming the variables that disagree. */
export function resolveRayConfig(e: TRayEnv, role: TRayPodRole = "client"): TRayConfig {
  const fromAddress = hostOfAddress(e.RAY_ADDRESS);
  let address: string;
  if (role !== "client") {
    if (fromAddress) {
      throw new RayConfigError(
        `RAY_ADDRESS=${e.RAY_ADDRESS} is for client pods; ${role} pods resolve auto (set RAY_ADDRESS only in the client ConfigMap)`,
      );
    }
    address = "auto";
  } else if (e.RAY_ADDRESS) {
    if (fromAddress && e.RAY_HOST && fromAddress.host !== e.RAY_HOST) {
      throw new RayConfigError(
        `RAY_ADDRESS=${e.RAY_ADDRESS} and RAY_HOST=${e.RAY_HOST} disagree; set one, or make them name the same host`,
      );
    }
    if (fromAddress && e.RAY_HOST && fromAddress.port !== e.RAY_PORT) {
      throw new RayConfigError(
        `RAY_ADDRESS=${e.RAY_ADDRESS} and RAY_PORT=${e.RAY_PORT} disagree; set one, or make them name the same port`,
      );
    }
    address = e.RAY_ADDRESS;
  } else if (e.RAY_HOST) {
    address = `ray://${e.RAY_HOST}:${e.RAY_PORT}`;
  } else {
    address = "auto";
  }
  const host = fromAddress?.host ?? e.RAY_HOST ?? "127.0.0.1";
  const isEnabled = e.RUNTIMES_ENABLED.includes("ray");
  if (isEnabled && role === "client" && !e.RAY_ADDRESS && !e.RAY_HOST && !e.RAY_DASHBOARD_URL) {
    throw new RayConfigError(
      "RUNTIMES_ENABLED includes ray but none of RAY_ADDRESS, RAY_HOST, RAY_DASHBOARD_URL is set; name the Ray head",
    );
  }
  let rayService: TRayConfig["rayService"];
  if (e.RAY_MANAGED_BY === "kuberay") {
    if (!e.RAY_SERVICE_NAME || !e.RAY_SERVICE_NAMESPACE) {
      throw new RayConfigError(
        "RAY_MANAGED_BY=kuberay needs RAY_SERVICE_NAME and RAY_SERVICE_NAMESPACE (the RayService whose serveConfigV2 KubeServe merges into)",
      );
    }
    rayService = { name: e.RAY_SERVICE_NAME, namespace: e.RAY_SERVICE_NAMESPACE };
  } else if (e.RAY_SERVICE_NAME || e.RAY_SERVICE_NAMESPACE) {
    throw new RayConfigError(
      `RAY_SERVICE_NAME/RAY_SERVICE_NAMESPACE are set but RAY_MANAGED_BY=${e.RAY_MANAGED_BY}; set RAY_MANAGED_BY=kuberay or drop them`,
    );
  }
  return {
    isEnabled,
    address,
    dashboardUrl: e.RAY_DASHBOARD_URL ?? `http://${host}:8265`,
    serveUrl: e.RAY_SERVE_URL ?? `http://${host}:8000`,
    namespace: e.RAY_NAMESPACE,
    managedBy: e.RAY_MANAGED_BY,
    rayService,
    artifactOrigin: e.RAY_ARTIFACT_ORIGIN,
    artifactUrlTtlMs: e.RAY_ARTIFACT_URL_TTL_SECONDS * 1000,
    importPath: e.RAY_IMPORT_PATH,
    pyModules: e.RAY_PY_MODULES,
    preflightMs: e.RAY_PREFLIGHT_SECONDS * 1000,
    requestTimeoutMs: e.RAY_REQUEST_TIMEOUT_MS,
    retryAttempts: e.RAY_RETRY_ATTEMPTS,
    retryBackoffMs: e.RAY_RETRY_BACKOFF_MS,
    pollMs: e.RAY_POLL_MS,
    readyTimeoutMs: e.RAY_READY_TIMEOUT_SECONDS * 1000,
  };
}
