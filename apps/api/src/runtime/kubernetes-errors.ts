import { retryWithBackoff } from "../lib/retry";

// API server answers → what the driver does: transient ones (409 conflict, 429, 5xx, a refused
// connection) are retried with backoff; 403 and 422 fail at once with a message saying what to fix.

export class KubernetesRuntimeError extends Error {
  override name = "KubernetesRuntimeError";
  constructor(
    message: string,
    readonly code: number | undefined,
  ) {
    super(message);
  }
}

type TApiError = { code?: number | string; body?: unknown; message?: string };

const retriedCodes = new Set([409, 429, 500, 502, 503, 504]);
const retriedNetworkErrors = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE"]);

/** The HTTP status of a client-node ApiException, if it is one. */
export function statusCodeOf(error: unknown): number | undefined {
  const code = (error as TApiError | null)?.code;
  return typeof code === "number" ? code : undefined;
}

/** The API server's own words: the `message` of the Status object it answered. */
export function apiMessageOf(error: unknown): string {
  const body = (error as TApiError | null)?.body;
  let parsed: unknown = body;
  if (typeof body === "string") {
    try {
      parsed = JSON.parse(body);
    } catch {
      return body.slice(0, 500);
    }
  }
  const message = (parsed as { message?: unknown } | null)?.message;
  if (typeof message === "string") return message;
  return (error as Error).message.split("\n")[0] ?? String(error);
}

function isRetried(error: unknown): boolean {
  const code = statusCodeOf(error);
  if (code !== undefined) return retriedCodes.has(code);
  const cause = (error as { cause?: { code?: string }; code?: string } | null) ?? {};
  return retriedNetworkErrors.has(String(cause.cause?.code ?? cause.code ?? ""));
}

export function describeFailure(what: string, error: unknown): KubernetesRuntimeError {
  const code = statusCodeOf(error);
  const said = apiMessageOf(error);
  if (code === 403) {
    return new KubernetesRuntimeError(
      `Kubernetes refused to ${what} (403 Forbidden): ${said} — the API's service account lacks this permission (see DRIVER_PERMISSIONS and deploy/k8s rbac)`,
      code,
    );
  }
  if (code === 422) {
    return new KubernetesRuntimeError(
      `Kubernetes rejected ${what} as invalid (422): ${said}`,
      code,
    );
  }
  if (code === 409) {
    return new KubernetesRuntimeError(
      `Kubernetes kept answering 409 Conflict to ${what}: ${said} — another field manager owns these fields (KUBERNETES_FORCE_APPLY=true takes them over)`,
      code,
    );
  }
  return new KubernetesRuntimeError(
    `Kubernetes could not ${what}${code === undefined ? "" : ` (${code})`}: ${said}`,
    code,
  );
}

export type TRetryPolicy = { attempts: number; backoffMs: number };

/** Runs `call`, retrying transient failures with exponential backoff; anything else fails at once. */
export async function withRetry<T>(
  what: string,
  policy: TRetryPolicy,
  call: () => Promise<T>,
): Promise<T> {
  try {
    return await retryWithBackoff(policy, isRetried, call);
  } catch (error) {
    throw describeFailure(what, error);
  }
}

/** `undefined` for a 404, so "not there yet" is not an error. */
export async function orMissing<T>(call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (error) {
    if (statusCodeOf(error) === 404) return undefined;
    throw error;
  }
}
