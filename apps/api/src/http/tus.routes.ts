import type { IncomingMessage } from "node:http";
import { isUnavailable } from "@kubeserve/storage";
import { createUploadId } from "@kubeserve/storage/tus";
import { Server } from "@tus/server";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { TDeps } from "../deps";
import { DomainError } from "../lib/errors";
import {
  assertNotReady,
  checkArtifactFilename,
  checkStoredArtifact,
  claimUpload,
  commitArtifact,
  findUploadTarget,
  keyFor,
  tooLargeError,
  toUploadError,
} from "../services/artifact.service";
import type { TActor } from "../services/auth.service";
import { requireActor } from "./request-auth";
import { streamNodeBodies } from "./tus-node-body";

// Resumable uploads (tus 1.0) at /api/v1/uploads. Who may reach them: every method but the CORS preflight
// is authenticated like tRPC; an upload is created only for a version of the caller's, and every later
// request (HEAD, PATCH, DELETE) must come from the user who created it (anyone else: 404). Finished
// uploads are never served (GET answers 405): downloads go through GET …/versions/{id}/artifact.

export const TUS_PATH = "/api/v1/uploads";

type TPending = { id: string; actor: TActor };

/** tus `Upload-Metadata`: comma-separated `key base64value` pairs. */
function parseUploadMetadata(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of (header ?? "").split(",")) {
    const [key, value = ""] = pair.trim().split(" ");
    if (key) out[key] = Buffer.from(value, "base64").toString("utf8");
  }
  return out;
}

export async function registerTusRoutes(app: FastifyInstance, deps: TDeps): Promise<void> {
  const { maxBytes, expiryMs } = deps.config.uploads;
  const datastore = deps.tus;
  // The POST handler checked and claimed the upload under this id before tus names it.
  const pending = new WeakMap<IncomingMessage, TPending>();

  const finish = async (uploadId: string) => {
    const row = await deps.db.artifactUpload.findUnique({
      where: { id: uploadId },
      select: { versionId: true, userId: true, filename: true },
    });
    if (!row) throw { status_code: 404, body: "Upload not found\n" };
    // Ownership was checked when the upload was created; the version may only have been deleted since.
    const actor: TActor = { id: row.userId, email: "", role: "admin", via: "api_key" };
    try {
      const target = await findUploadTarget(deps, actor, row.versionId);
      const key = keyFor(target, row.filename);
      const stored = await datastore.finishTusUpload(uploadId, key).catch((error: unknown) => {
        throw toUploadError(error);
      });
      const checked = await checkStoredArtifact(deps, target, {
        key,
        filename: row.filename,
        size: stored.size,
        sha256: stored.sha256,
      });
      await commitArtifact(deps, actor, target, checked);
    } catch (error) {
      if (error instanceof DomainError) throw { status_code: 400, body: `${error.message}\n` };
      throw error;
    } finally {
      await deps.db.artifactUpload.deleteMany({ where: { id: uploadId } });
    }
  };

  const tus = new Server({
    path: TUS_PATH,
    datastore,
    relativeLocation: true,
    maxSize: maxBytes,
    allowedOrigins: deps.config.webOrigins,
    allowedCredentials: true,
    namingFunction: (req) => {
      const node = (req as { runtime?: { node?: { req: IncomingMessage } } }).runtime?.node?.req;
      const claimed = node ? pending.get(node) : undefined;
      if (!claimed) throw { status_code: 500, body: "Upload was not claimed\n" };
      return claimed.id;
    },
    onUploadFinish: async (_req, upload) => {
      await finish(upload.id);
      return {};
    },
    // tus answers an unexpected error with its message (a host and port, a path); clients get ours.
    onResponseError: (_req, error) => {
      if ("status_code" in error && "body" in error) return undefined;
      if (isUnavailable(error)) {
        return {
          status_code: 503,
          body: "Artifact storage is unreachable; the bytes acknowledged so far are kept, resume the upload in a moment\n",
        };
      }
      deps.log.error({ err: error }, "tus request failed");
      return {
        status_code: 500,
        body: "Internal error; resume the upload from its current offset\n",
      };
    },
  });

  streamNodeBodies(tus);

  const readUploadId = (req: FastifyRequest) =>
    (req.params as { id?: string }).id?.replace(/[^A-Za-z0-9_-]/g, "") ?? "";

  const handle = async (req: FastifyRequest, reply: FastifyReply) => {
    if (req.method !== "OPTIONS") {
      const actor = await requireActor(deps, req.headers);
      if (req.method === "GET") {
        throw new DomainError(
          "BAD_REQUEST",
          "Finished uploads are not served here; download with GET /api/v1/versions/{versionId}/artifact",
        );
      }
      if (req.method === "POST") {
        await createUpload(req, actor);
      } else {
        const row = await deps.db.artifactUpload.findUnique({
          where: { id: readUploadId(req) },
          select: { userId: true, kind: true },
        });
        if (!row || row.kind !== "tus" || row.userId !== actor.id) {
          throw new DomainError("NOT_FOUND", "Upload not found");
        }
      }
    }
    reply.hijack();
    await tus.handle(req.raw, reply.raw);
    const id = pending.get(req.raw)?.id;
    // A creation tus refused, or a cancelled upload: its claim goes with it.
    if (
      (req.method === "POST" && reply.raw.statusCode !== 201) ||
      (req.method === "DELETE" && reply.raw.statusCode === 204)
    ) {
      await deps.db.artifactUpload.deleteMany({ where: { id: id ?? readUploadId(req) } });
    }
  };

  const createUpload = async (req: FastifyRequest, actor: TActor) => {
    const metadata = parseUploadMetadata(req.headers["upload-metadata"] as string | undefined);
    if (!metadata.versionId) {
      throw new DomainError(
        "BAD_REQUEST",
        "Upload-Metadata must name the versionId (and the filename)",
      );
    }
    const target = await findUploadTarget(deps, actor, metadata.versionId);
    assertNotReady(target);
    const filename = checkArtifactFilename(target, metadata.filename);
    const length = Number(req.headers["upload-length"]);
    if (req.headers["upload-length"] === undefined || !Number.isSafeInteger(length) || length < 0) {
      throw new DomainError(
        "BAD_REQUEST",
        "Upload-Length is required (deferred lengths are not accepted)",
      );
    }
    if (length === 0) throw new DomainError("BAD_REQUEST", `File '${filename}' is empty`);
    if (length > maxBytes) throw tooLargeError("The file", maxBytes);
    const id = createUploadId();
    await claimUpload(deps, actor, target, {
      kind: "tus",
      id,
      filename,
      size: length,
      ttlMs: expiryMs,
    });
    pending.set(req.raw, { id, actor });
  };

  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", (_req, _payload, done) => done(null, undefined));
    scope.route({
      method: ["POST", "OPTIONS"],
      url: TUS_PATH,
      bodyLimit: maxBytes,
      handler: handle,
    });
    scope.route({
      method: ["HEAD", "PATCH", "DELETE", "GET", "OPTIONS"],
      url: `${TUS_PATH}/:id`,
      bodyLimit: maxBytes,
      exposeHeadRoute: false,
      handler: handle,
    });
  });
}
