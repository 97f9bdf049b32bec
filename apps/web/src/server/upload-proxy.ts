import { readWebConfig } from "~/config";
import { readApiSession } from "./api-session";
import { isCrossSite, isSameOrigin } from "./request-origin";

// The browser's tus endpoint: /api/v1/uploads on the dashboard's own origin, forwarded to the same path on the
// API with the session's API token added here, so no token ever reaches the page. Who may reach it: a signed-in
// user's own pages (state-changing methods must carry our Origin; any cross-site request is refused); the API
// then checks the upload belongs to that user. Bodies are streamed through (Next's proxy.ts does not match
// /api/, so nothing buffers a PATCH), one tus chunk at a time.

export const UPLOADS_PATH = "/api/v1/uploads";

const requestHeaders = [
  "tus-resumable",
  "upload-length",
  "upload-metadata",
  "upload-offset",
  "upload-concat",
  "upload-defer-length",
  "content-type",
  "content-length",
  "x-request-id",
];
const responseHeaders = [
  "location",
  "tus-resumable",
  "tus-version",
  "tus-extension",
  "tus-max-size",
  "upload-offset",
  "upload-length",
  "upload-expires",
  "upload-metadata",
  "content-type",
];
const allowedMethods = new Set(["POST", "HEAD", "PATCH", "DELETE"]);
const idPattern = /^[A-Za-z0-9_-]{1,200}$/;

type TUploadRequest = { method: string; headers: Headers; body: ReadableStream<Uint8Array> | null };

function refuse(status: number, message: string): Response {
  return new Response(`${message}\n`, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", "tus-resumable": "1.0.0" },
  });
}

/** Forwards one tus request (`id` undefined: the creation POST) to the API as the signed-in user. */
export async function proxyUpload(
  request: TUploadRequest,
  id: string | undefined,
): Promise<Response> {
  if (!allowedMethods.has(request.method)) return refuse(405, "Use POST, HEAD, PATCH or DELETE");
  if ((id === undefined) !== (request.method === "POST")) {
    return refuse(
      id === undefined ? 405 : 404,
      id === undefined ? "Create with POST" : "Upload not found",
    );
  }
  if (id !== undefined && !idPattern.test(id)) return refuse(404, "Upload not found");
  if (isCrossSite(request.headers)) return refuse(403, "Cross-site request refused");
  if (request.method !== "HEAD" && !isSameOrigin(request.headers)) {
    return refuse(403, "Cross-site request refused");
  }
  const session = await readApiSession();
  if (!session) return refuse(401, "Sign in to upload");

  const headers = new Headers({ authorization: `Bearer ${session.accessToken}` });
  for (const name of requestHeaders) {
    const value = request.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  const hasBody = request.method === "PATCH" || request.method === "POST";
  let upstream: Response;
  try {
    upstream = await fetch(`${readWebConfig().apiUrl}${UPLOADS_PATH}${id ? `/${id}` : ""}`, {
      method: request.method,
      headers,
      body: hasBody ? request.body : undefined,
      // Streams the request body instead of reading it whole first (required by fetch for a stream body).
      ...(hasBody && request.body ? { duplex: "half" } : {}),
      cache: "no-store",
      redirect: "manual",
    } as RequestInit);
  } catch {
    return refuse(502, "Could not reach the KubeServe API");
  }
  const out = new Headers({ "cache-control": "no-store" });
  for (const name of responseHeaders) {
    const value = upstream.headers.get(name);
    if (value !== null) out.set(name, value);
  }
  return new Response(request.method === "HEAD" ? null : upstream.body, {
    status: upstream.status,
    headers: out,
  });
}

let cachedLimit: { bytes: number; at: number } | undefined;

/** The API's largest accepted file (its tus `Tus-Max-Size`, i.e. UPLOAD_MAX_BYTES), re-read every 5 minutes. */
export async function readUploadLimit(): Promise<number | undefined> {
  if (cachedLimit && Date.now() - cachedLimit.at < 300_000) return cachedLimit.bytes;
  try {
    const response = await fetch(`${readWebConfig().apiUrl}${UPLOADS_PATH}`, {
      method: "OPTIONS",
      headers: { "tus-resumable": "1.0.0" },
      cache: "no-store",
      signal: AbortSignal.timeout(5_000),
    });
    const bytes = Number(response.headers.get("tus-max-size"));
    if (!Number.isSafeInteger(bytes) || bytes <= 0) return cachedLimit?.bytes;
    cachedLimit = { bytes, at: Date.now() };
    return bytes;
  } catch {
    return cachedLimit?.bytes;
  }
}

/** PUT requirements.txt beside a scikit-learn version's model, as the signed-in user (same rules as above). */
export async function proxyRequirements(
  request: TUploadRequest,
  versionId: string,
): Promise<Response> {
  if (request.method !== "PUT") return refuse(405, "Use PUT");
  if (!idPattern.test(versionId)) return refuse(404, "Version not found");
  if (isCrossSite(request.headers) || !isSameOrigin(request.headers)) {
    return refuse(403, "Cross-site request refused");
  }
  const session = await readApiSession();
  if (!session) return refuse(401, "Sign in to upload");
  const headers = new Headers({
    authorization: `Bearer ${session.accessToken}`,
    "content-type": "text/plain",
  });
  let upstream: Response;
  try {
    upstream = await fetch(`${readWebConfig().apiUrl}/api/v1/versions/${versionId}/requirements`, {
      method: "PUT",
      headers,
      body: request.body,
      duplex: "half",
      cache: "no-store",
    } as RequestInit);
  } catch {
    return refuse(502, "Could not reach the KubeServe API");
  }
  return new Response(upstream.body, {
    status: upstream.status,
    headers: {
      "content-type": upstream.headers.get("content-type") ?? "text/plain",
      "cache-control": "no-store",
    },
  });
}
