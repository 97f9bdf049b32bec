import { retryWithBackoff } from "../lib/retry";

// Ray's Serve REST API on the dashboard port, as documented (docs.ray.io serve/api/rest-api):
// GET /api/serve/applications/ → ServeInstanceDetails; PUT /api/serve/applications/ with a
// ServeDeploySchema replaces EVERY application on the cluster. DELETE shuts Serve down for everyone,
// so this client never sends it. Transient failures (refused, reset, timeout, 5xx) are retried with backoff.

export type TRayAppStatus =
  "NOT_STARTED" | "DEPLOYING" | "DEPLOY_FAILED" | "RUNNING" | "UNHEALTHY" | "DELETING";

export type TRayDeploymentDetails = {
  name: string;
  status: string;
  message?: string;
  target_num_replicas?: number;
  replicas?: Array<{ replica_id: string; state: string; start_time_s?: number; pid?: number }>;
};

/** One entry of ServeInstanceDetails.applications (ApplicationDetails). */
export type TRayApplicationDetails = {
  name: string;
  route_prefix: string | null;
  status: TRayAppStatus;
  message: string;
  last_deployed_time_s?: number;
  /** The config as applied declaratively; null for `serve.run` (imperative) applications. */
  deployed_app_config: Record<string, unknown> | null;
  source?: "declarative" | "imperative" | "unknown";
  deployments: Record<string, TRayDeploymentDetails>;
};

export type TServeInstanceDetails = {
  proxy_location?: string | null;
  http_options?: Record<string, unknown> | null;
  grpc_options?: Record<string, unknown> | null;
  target_capacity?: number | null;
  applications: Record<string, TRayApplicationDetails>;
  [key: string]: unknown;
};

/** What a PUT carries: cluster options as they are, then the full list of applications. */
export type TServeDeployBody = {
  proxy_location?: string;
  http_options?: Record<string, unknown>;
  grpc_options?: Record<string, unknown>;
  target_capacity?: number;
  applications: Record<string, unknown>[];
};

export class RayServeError extends Error {
  override name = "RayServeError";
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly isTransient: boolean,
  ) {
    super(message);
  }
}

export type TServeApiOptions = {
  dashboardUrl: string;
  timeoutMs: number;
  retryAttempts: number;
  retryBackoffMs: number;
};

export type TServeApi = {
  read(): Promise<TServeInstanceDetails>;
  write(body: TServeDeployBody): Promise<void>;
};

const path = "/api/serve/applications/";

function networkCode(error: unknown): string {
  const cause = (error as { cause?: { code?: string } }).cause;
  return String(cause?.code ?? (error as { name?: string }).name ?? "");
}

async function callOnce(options: TServeApiOptions, init: RequestInit): Promise<string> {
  const url = `${options.dashboardUrl}${path}`;
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(options.timeoutMs) });
  } catch (error) {
    const code = networkCode(error);
    const what =
      code === "TimeoutError"
        ? `timed out after ${options.timeoutMs} ms`
        : `is unreachable (${code || (error as Error).message})`;
    throw new RayServeError(
      `Ray's Serve REST API at ${options.dashboardUrl} ${what}`,
      undefined,
      true,
    );
  }
  const text = await response.text();
  if (response.ok) return text;
  const isTransient = response.status >= 500 || response.status === 429;
  throw new RayServeError(
    `Ray's Serve REST API answered ${response.status} to ${init.method ?? "GET"} ${path}: ${text.slice(0, 500)}`,
    response.status,
    isTransient,
  );
}

/** Runs `call`, retrying transient failures with exponential backoff; anything else fails at once. */
export async function retryTransient<T>(
  options: Pick<TServeApiOptions, "retryAttempts" | "retryBackoffMs">,
  call: () => Promise<T>,
): Promise<T> {
  return retryWithBackoff(
    { attempts: options.retryAttempts, backoffMs: options.retryBackoffMs },
    (error) => error instanceof RayServeError && error.isTransient,
    call,
  );
}

export function createServeApi(options: TServeApiOptions): TServeApi {
  return {
    async read() {
      const text = await retryTransient(options, () =>
        callOnce(options, { method: "GET", headers: { accept: "application/json" } }),
      );
      let parsed: TServeInstanceDetails;
      try {
        parsed = JSON.parse(text) as TServeInstanceDetails;
      } catch {
        throw new RayServeError(`Ray's Serve REST API sent something other than JSON`, 200, false);
      }
      return { ...parsed, applications: parsed.applications ?? {} };
    },
    async write(body) {
      // A PUT is idempotent (the whole config), so retrying it after a 5xx cannot apply half of it.
      await retryTransient(options, () =>
        callOnce(options, {
          method: "PUT",
          headers: { "content-type": "application/json", accept: "application/json" },
          body: JSON.stringify(body),
        }),
      );
    },
  };
}
