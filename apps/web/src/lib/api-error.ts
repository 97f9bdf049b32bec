// Reads what went wrong from a tRPC client error (or anything thrown) in the words the API chose.

export type TApiProblem = {
  message: string;
  /** tRPC code, e.g. UNAUTHORIZED, NOT_FOUND, BAD_REQUEST, CONFLICT. */
  code: string | undefined;
  /** Messages per input field ("password" → "Password must be 10–128 characters long"). */
  fieldErrors: Record<string, string>;
};

type TErrorData = {
  code?: unknown;
  fieldErrors?: unknown;
};

function readData(error: unknown): TErrorData | undefined {
  if (typeof error !== "object" || error === null || !("data" in error)) return undefined;
  const data = (error as { data: unknown }).data;
  return typeof data === "object" && data !== null ? (data as TErrorData) : undefined;
}

export function readApiProblem(error: unknown): TApiProblem {
  const data = readData(error);
  const fieldErrors: Record<string, string> = {};
  if (Array.isArray(data?.fieldErrors)) {
    for (const item of data.fieldErrors as { path?: unknown; message?: unknown }[]) {
      if (typeof item.path === "string" && typeof item.message === "string") {
        fieldErrors[item.path] ??= item.message;
      }
    }
  }
  const raw = error instanceof Error ? error.message : "";
  // A fetch that never reached the dashboard server says so in browser-specific words.
  const isNetwork = /fetch failed|Failed to fetch|NetworkError|ECONNREFUSED/i.test(raw);
  return {
    message: isNetwork
      ? "Could not reach the KubeServe API. Check that it is running and try again."
      : raw || "Something went wrong. Try again.",
    code: typeof data?.code === "string" ? data.code : undefined,
    fieldErrors,
  };
}

export function readApiErrorMessage(error: unknown): string {
  return readApiProblem(error).message;
}

export function isUnauthorized(error: unknown): boolean {
  return readData(error)?.code === "UNAUTHORIZED";
}

export function isNotFound(error: unknown): boolean {
  const code = readData(error)?.code;
  // A malformed id in a URL is as absent as someone else's.
  return code === "NOT_FOUND" || code === "BAD_REQUEST";
}
