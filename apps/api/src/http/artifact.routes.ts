import type { IncomingMessage } from "node:http";
import type { FastifyInstance } from "fastify";
import type { TDeps } from "../deps";
import { DomainError } from "../lib/errors";
import { commitRequirements, findUploadTarget, tooLargeError } from "../services/artifact.service";
import { receiveArtifact } from "../services/upload.service";
import { readDispositionFilename } from "./content-disposition";
import { registerDownloadRoutes } from "./download.routes";
import { registerRuntimeArtifactRoutes } from "./runtime-artifact.routes";
import { receiveMultipart } from "./multipart";
import { requireActor } from "./request-auth";
import { registerTusRoutes } from "./tus.routes";

// One-shot upload routes. Who may reach them: the version's owner (or an admin), authenticated like tRPC;
// anyone else gets 401, and another user's version the same 404 as an unknown one. Bodies are streamed
// into the store, so these routes take the upload limits instead of the API's JSON body limit.

type TVersionParams = { Params: { versionId: string }; Querystring: { filename?: string } };

/** Multipart framing (boundaries, part headers) on top of the file and requirements.txt. */
const multipartOverheadBytes = 64 * 1024;

function declaredLength(req: IncomingMessage): number | undefined {
  const header = req.headers["content-length"];
  if (header === undefined) return undefined;
  const value = Number(header);
  return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

async function readSmallBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of req) {
    length += (chunk as Buffer).length;
    if (length > limit) throw tooLargeError("requirements.txt", limit);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export async function registerArtifactRoutes(app: FastifyInstance, deps: TDeps): Promise<void> {
  const { maxBytes, requirementsMaxBytes } = deps.config.uploads;
  registerDownloadRoutes(app, deps);
  registerRuntimeArtifactRoutes(app, deps);
  await registerTusRoutes(app, deps);
  await app.register(async (scope) => {
    // The handlers read the raw request themselves, after authentication, as a stream.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", (_req, _payload, done) => done(null, undefined));

    scope.put<TVersionParams>(
      "/api/v1/versions/:versionId/artifact",
      { bodyLimit: maxBytes },
      async (req, reply) => {
        const actor = await requireActor(deps, req.headers);
        const target = await findUploadTarget(deps, actor, req.params.versionId);
        const filename =
          req.query.filename ?? readDispositionFilename(req.headers["content-disposition"]);
        const version = await receiveArtifact(deps, actor, target, req.raw, {
          filename,
          declaredSize: declaredLength(req.raw),
        });
        return reply.code(200).send(version);
      },
    );

    scope.post<TVersionParams>(
      "/api/v1/versions/:versionId/upload",
      { bodyLimit: maxBytes + requirementsMaxBytes + multipartOverheadBytes },
      async (req, reply) => {
        const actor = await requireActor(deps, req.headers);
        const target = await findUploadTarget(deps, actor, req.params.versionId);
        const type = req.headers["content-type"] ?? "";
        if (!/^multipart\/form-data\s*;/i.test(type)) {
          throw new DomainError(
            "BAD_REQUEST",
            "Send multipart/form-data with a 'file' part (curl -F file=@model.onnx); for a raw body use PUT …/artifact",
          );
        }
        return reply.code(200).send(await receiveMultipart(deps, actor, target, req.raw));
      },
    );

    scope.put<TVersionParams>(
      "/api/v1/versions/:versionId/requirements",
      { bodyLimit: requirementsMaxBytes },
      async (req, reply) => {
        const actor = await requireActor(deps, req.headers);
        const target = await findUploadTarget(deps, actor, req.params.versionId);
        const text = await readSmallBody(req.raw, requirementsMaxBytes);
        return reply.code(200).send(await commitRequirements(deps, actor, target, text));
      },
    );
  });
}
