import { readWebConfig } from "~/config";
import { readApiSession } from "./api-session";
import { isSameOrigin } from "./request-origin";

// The browser's only way to the API: same-origin, so the API token stays in the server-side session.
// Reachable by any browser; without a live session the API itself answers UNAUTHORIZED.

// Signing in and out goes through next-auth, which keeps the session cookie and the API session in step.
const blockedProcedures = new Set(["auth.login", "auth.register", "auth.logout", "auth.logoutAll"]);
const procedurePattern = /^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)+$/;

type TProxyRequest = {
  method: string;
  url: string;
  headers: Headers;
  text: () => Promise<string>;
};

function trpcError(
  paths: string[],
  isBatch: boolean,
  status: number,
  code: string,
  message: string,
) {
  const error = { error: { message, code: -32600, data: { code, httpStatus: status } } };
  return Response.json(isBatch ? paths.map(() => error) : error, { status });
}

export async function proxyTrpc(request: TProxyRequest, pathParam: string): Promise<Response> {
  const url = new URL(request.url);
  const isBatch = url.searchParams.get("batch") === "1";
  const paths = pathParam.split(",");
  if (!paths.every((path) => procedurePattern.test(path))) {
    return trpcError(paths, isBatch, 404, "NOT_FOUND", `No procedure named '${pathParam}'`);
  }
  const blocked = paths.find((path) => blockedProcedures.has(path));
  if (blocked) {
    return trpcError(paths, isBatch, 403, "FORBIDDEN", `'${blocked}' is not available here`);
  }
  if (request.method !== "GET" && request.method !== "POST") {
    return trpcError(paths, isBatch, 405, "METHOD_NOT_SUPPORTED", "Use GET or POST");
  }
  if (request.method === "POST") {
    if (!isSameOrigin(request.headers)) {
      return trpcError(paths, isBatch, 403, "FORBIDDEN", "Cross-site request refused");
    }
    if (!request.headers.get("content-type")?.startsWith("application/json")) {
      return trpcError(paths, isBatch, 415, "UNSUPPORTED_MEDIA_TYPE", "Send application/json");
    }
  }
  const session = await readApiSession();
  const headers = new Headers({ accept: "application/json" });
  if (session) headers.set("authorization", `Bearer ${session.accessToken}`);
  if (request.method === "POST") headers.set("content-type", "application/json");
  const forwarded = request.headers.get("x-request-id");
  if (forwarded) headers.set("x-request-id", forwarded);
  let upstream: Response;
  try {
    upstream = await fetch(`${readWebConfig().apiUrl}/trpc/${pathParam}${url.search}`, {
      method: request.method,
      headers,
      body: request.method === "POST" ? await request.text() : undefined,
      cache: "no-store",
      signal: AbortSignal.timeout(30_000),
    });
  } catch {
    return trpcError(paths, isBatch, 502, "BAD_GATEWAY", "Could not reach the KubeServe API");
  }
  return new Response(upstream.body, {
    status: upstream.status,
    headers: {
      "content-type": upstream.headers.get("content-type") ?? "application/json",
      "cache-control": "no-store",
    },
  });
}
