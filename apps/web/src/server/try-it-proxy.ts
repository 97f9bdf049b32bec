import { readWebConfig } from "~/config";
import { readApiSession } from "./api-session";
import { isCrossSite, isSameOrigin } from "./request-origin";

// The deployment page's try-it form: POST /api/try/{deploymentId}?model={name} on the dashboard's origin,
// forwarded to the gateway's V2 infer path with the session's access token (the browser never holds a key).
// Who may reach it: a signed-in user's own pages (our Origin, never cross-site); the gateway then answers
// 404 for a deployment that is not theirs, exactly as for a missing one.

const idPattern = /^[0-9a-fA-F-]{36}$/;
const modelPattern = /^[a-z][-a-z0-9]{0,62}$/;
const maxBodyBytes = 1_000_000;

type TTryRequest = { method: string; url: string; headers: Headers; text: () => Promise<string> };

const codes: Record<number, string> = {
  400: "BAD_REQUEST",
  401: "UNAUTHORIZED",
  403: "FORBIDDEN",
  404: "NOT_FOUND",
  405: "METHOD_NOT_SUPPORTED",
  413: "PAYLOAD_TOO_LARGE",
  415: "UNSUPPORTED_MEDIA_TYPE",
  502: "BAD_GATEWAY",
};

/** Refusals in the gateway's own shape, so the page reads every error the same way. */
function refuse(status: number, message: string): Response {
  return Response.json(
    { error: { code: codes[status] ?? "ERROR", message } },
    { status, headers: { "cache-control": "no-store" } },
  );
}

export async function proxyTryIt(request: TTryRequest, deploymentId: string): Promise<Response> {
  if (request.method !== "POST") return refuse(405, "Use POST");
  if (isCrossSite(request.headers) || !isSameOrigin(request.headers)) {
    return refuse(403, "Cross-site request refused");
  }
  if (!request.headers.get("content-type")?.startsWith("application/json")) {
    return refuse(415, "Send application/json");
  }
  const model = new URL(request.url).searchParams.get("model") ?? "";
  if (!idPattern.test(deploymentId)) return refuse(404, "Deployment not found");
  if (!modelPattern.test(model)) return refuse(400, "model must be the deployed model's name");
  const session = await readApiSession();
  if (!session) return refuse(401, "Sign in to try a deployment");
  const body = await request.text();
  if (body.length > maxBodyBytes) return refuse(413, "The request body is larger than 1 MB");
  try {
    JSON.parse(body);
  } catch {
    return refuse(400, "The request body is not valid JSON");
  }
  const started = performance.now();
  let upstream: Response;
  try {
    upstream = await fetch(
      `${readWebConfig().apiUrl}/api/v1/deployments/${deploymentId}/v2/models/${model}/infer`,
      {
        method: "POST",
        headers: {
          authorization: `Bearer ${session.accessToken}`,
          "content-type": "application/json",
        },
        body,
        cache: "no-store",
        signal: AbortSignal.timeout(30_000),
      },
    );
  } catch {
    return refuse(502, "Could not reach the KubeServe API");
  }
  const text = await upstream.text();
  return new Response(text, {
    status: upstream.status,
    headers: {
      "content-type": upstream.headers.get("content-type") ?? "application/json",
      "cache-control": "no-store",
      // Time spent behind the dashboard (gateway + model server), so the page can show it beside round trip.
      "x-upstream-ms": (performance.now() - started).toFixed(1),
    },
  });
}
