import type { FastifyInstance, FastifyReply } from "fastify";
import { isUnavailable, StorageNotFoundError, StorageRangeError } from "@kubeserve/storage";
import type { TDeps } from "../deps";
import { DomainError } from "../lib/errors";
import { findUploadTarget } from "../services/artifact.service";
import { getVersion } from "../services/version.service";
import { requireActor } from "./request-auth";

// Owner download. Who may reach it: the version's owner (or an admin) with the same credentials as tRPC;
// anyone else gets 401, another user's version 404. Runtimes use their own per-deployment route.

type TRange = { start: number; end: number } | "unsatisfiable" | undefined;

/** One `bytes=` range (RFC 9110); anything else (several ranges, other units) is served whole. */
export function parseRange(header: string | undefined, size: number): TRange {
  const match = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!match) return undefined;
  const [, first = "", last = ""] = match;
  if (first === "" && last === "") return undefined;
  if (first === "") {
    const suffix = Number(last);
    if (suffix === 0) return "unsatisfiable";
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === "" ? size - 1 : Math.min(Number(last), size - 1);
  if (start >= size || (last !== "" && Number(last) < start)) return "unsatisfiable";
  return { start, end };
}

function contentDisposition(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, "_");
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}

function unsatisfiable(reply: FastifyReply, size: number) {
  return reply
    .code(416)
    .header("content-range", `bytes */${size}`)
    .type("application/json; charset=utf-8")
    .send({
      error: {
        code: "RANGE_NOT_SATISFIABLE",
        message: `The range is outside the file (${size} bytes)`,
      },
    });
}

export function registerDownloadRoutes(app: FastifyInstance, deps: TDeps): void {
  app.get<{ Params: { versionId: string } }>(
    "/api/v1/versions/:versionId/artifact",
    async (req, reply) => {
      const actor = await requireActor(deps, req.headers);
      const target = await findUploadTarget(deps, actor, req.params.versionId);
      const version = await getVersion(deps, actor, { id: target.id });
      const artifact = version.artifact;
      if (!artifact) {
        throw new DomainError("NOT_FOUND", `Version '${version.tag}' has no artifact yet`);
      }
      const etag = `"${artifact.sha256}"`;
      void reply
        .header("etag", etag)
        .header("digest", `sha-256=${Buffer.from(artifact.sha256, "hex").toString("base64")}`)
        .header("accept-ranges", "bytes")
        .header("cache-control", "private, no-cache")
        .header("content-disposition", contentDisposition(artifact.filename));
      if (req.headers["if-none-match"] === etag) return reply.code(304).send();
      const ifRange = req.headers["if-range"];
      const range =
        ifRange === undefined || ifRange === etag
          ? parseRange(req.headers.range, artifact.size)
          : undefined;
      if (range === "unsatisfiable") return unsatisfiable(reply, artifact.size);
      try {
        const object = await deps.storage.get(artifact.uri, range ?? {});
        if (range) {
          void reply
            .code(206)
            .header("content-range", `bytes ${object.start}-${object.end}/${artifact.size}`);
        }
        return reply
          .header("content-length", String(object.contentLength))
          .type("application/octet-stream")
          .send(object.body);
      } catch (error) {
        if (error instanceof StorageRangeError) return unsatisfiable(reply, artifact.size);
        if (error instanceof StorageNotFoundError) {
          req.log.error({ key: artifact.uri }, "artifact missing from storage");
          throw new DomainError("NOT_FOUND", "The artifact is missing from storage");
        }
        if (isUnavailable(error)) {
          throw new DomainError(
            "SERVICE_UNAVAILABLE",
            "Artifact storage is unreachable; retry in a moment",
            {
              retryAfterSeconds: 5,
            },
          );
        }
        throw error;
      }
    },
  );
}
