import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, open, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as TWebReadableStream } from "node:stream/web";

export class ModelSourceError extends Error {
  override name = "ModelSourceError";
}

// A download that delivers nothing for this long is given up (the connection may be half-open).
const IDLE_TIMEOUT_MS = 60_000;
const MAX_REDIRECTS = 5;

export async function hashFile(file: string): Promise<string> {
  const hash = createHash("sha256");
  await pipeline(createReadStream(file), hash);
  return hash.digest("hex");
}

export async function isFile(file: string): Promise<boolean> {
  return stat(file).then(
    (s) => s.isFile(),
    () => false,
  );
}

/** The URL without its query (presigned URLs carry signatures there) for messages and logs. */
export function redactUrl(url: string | URL): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}${parsed.search ? "?…" : ""}`;
}

/**
 * Streams `body` to `target` through `<target>.<pid>.partial`: hashed on the way, fsynced, checked
 * against `sha256` and `expectedBytes` when given, then renamed into place. Nothing is left behind
 * on failure, so `target` only ever holds a complete, verified file.
 */
export async function writeVerified(
  body: Readable,
  target: string,
  what: string,
  expected: { sha256?: string | undefined; bytes?: number | undefined },
  onChunk?: () => void,
): Promise<string> {
  await mkdir(path.dirname(target), { recursive: true });
  const partial = `${target}.${process.pid}.partial`;
  const hash = createHash("sha256");
  let bytes = 0;
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      bytes += chunk.length;
      onChunk?.();
      callback(null, chunk);
    },
  });
  try {
    await pipeline(body, hashing, createWriteStream(partial, { mode: 0o640 }));
    if (expected.bytes !== undefined && bytes !== expected.bytes) {
      throw new ModelSourceError(
        `download of ${what} is truncated: got ${bytes} of ${expected.bytes} bytes`,
      );
    }
    const digest = hash.digest("hex");
    if (expected.sha256 && digest !== expected.sha256) {
      throw new ModelSourceError(
        `checksum mismatch for ${what}: expected sha256 ${expected.sha256}, downloaded ${digest}`,
      );
    }
    const handle = await open(partial, "r");
    await handle.sync().finally(() => handle.close());
    await rename(partial, target);
    return digest;
  } catch (error) {
    await rm(partial, { force: true });
    if (error instanceof ModelSourceError) throw error;
    throw new ModelSourceError(`download of ${what} failed: ${(error as Error).message}`);
  }
}

function describeStatus(status: number, statusText: string): string {
  const reason =
    status === 401
      ? " (the model token is missing or was not accepted: set KUBESERVE_MODEL_TOKEN)"
      : status === 403
        ? " (the model token does not grant access to this artifact)"
        : status === 404
          ? " (no such artifact)"
          : "";
  return `HTTP ${status}${statusText ? ` ${statusText}` : ""}${reason}`;
}

export type THttpFetchResult =
  { status: "downloaded"; sha256: string; etag: string | undefined } | { status: "not-modified" };

/**
 * GETs `url` into `target` with `Authorization: Bearer <token>`. Redirects are followed by hand so
 * the token goes only to the origin it was given for (a presigned S3 URL needs none).
 */
export async function downloadHttp(options: {
  url: string;
  token?: string | undefined;
  sha256?: string | undefined;
  target: string;
  ifNoneMatch?: string | undefined;
}): Promise<THttpFetchResult> {
  const origin = new URL(options.url).origin;
  const what = redactUrl(options.url);
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const touch = () => {
    clearTimeout(timer);
    timer = setTimeout(
      () => controller.abort(new Error(`no data for ${IDLE_TIMEOUT_MS / 1000} s`)),
      IDLE_TIMEOUT_MS,
    );
  };
  touch();
  try {
    let url = new URL(options.url);
    let response: Response | undefined;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const headers: Record<string, string> = {};
      if (options.token && url.origin === origin) headers.authorization = `Bearer ${options.token}`;
      if (options.ifNoneMatch) headers["if-none-match"] = options.ifNoneMatch;
      try {
        response = await fetch(url, { headers, redirect: "manual", signal: controller.signal });
      } catch (error) {
        const cause = (error as Error & { cause?: Error }).cause?.message;
        throw new ModelSourceError(`cannot download ${what}: ${cause ?? (error as Error).message}`);
      }
      const location = response.headers.get("location");
      if (response.status < 300 || response.status >= 400 || response.status === 304 || !location) {
        break;
      }
      await response.body?.cancel();
      url = new URL(location, url);
      response = undefined;
    }
    if (!response)
      throw new ModelSourceError(`download of ${what}: more than ${MAX_REDIRECTS} redirects`);
    if (response.status === 304 && options.ifNoneMatch) return { status: "not-modified" };
    if (response.status !== 200) {
      const detail = (await response.text().catch(() => "")).slice(0, 200).trim();
      throw new ModelSourceError(
        `download of ${what} refused: ${describeStatus(response.status, response.statusText)}${detail ? `: ${detail}` : ""}`,
      );
    }
    if (!response.body) throw new ModelSourceError(`download of ${what} returned no body`);
    // A compressed body is decoded by fetch, so its Content-Length does not count what we write.
    const encoding = response.headers.get("content-encoding");
    const length =
      encoding && encoding !== "identity" ? null : response.headers.get("content-length");
    const sha256 = await writeVerified(
      Readable.fromWeb(response.body as TWebReadableStream),
      options.target,
      what,
      { sha256: options.sha256, bytes: length === null ? undefined : Number(length) },
      touch,
    );
    return { status: "downloaded", sha256, etag: response.headers.get("etag") ?? undefined };
  } finally {
    clearTimeout(timer);
  }
}
