import type { FastifyInstance } from "fastify";
import { isUnavailable, StorageNotFoundError } from "@kubeserve/storage";
import type { TDeps } from "../deps";
import { isArtifactReadToken, isArtifactUrlSignature } from "../lib/artifact-read-token";
import { DomainError } from "../lib/errors";

// What a runtime fetches its model from. Who may reach it: only a holder of that deployment's read token
// (`Authorization: Bearer ksr_…`); a user's credentials, another deployment's token or a deleted
// deployment get the same 404 as an unknown id, so the route reveals nothing about other deployments.
// Ray replicas, which are handed a URL, present `?expires=…&signature=…` instead (short-lived, one deployment).

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function registerRuntimeArtifactRoutes(app: FastifyInstance, deps: TDeps): void {
  app.get<{
    Params: { deploymentId: string };
    Querystring: { expires?: string; signature?: string };
  }>("/api/v1/runtime/artifacts/:deploymentId", async (req, reply) => {
    const { deploymentId } = req.params;
    const authorization = req.headers.authorization ?? "";
    const presented = authorization.startsWith("Bearer ") ? authorization.slice(7) : "";
    const { expires, signature } = req.query;
    const isSigned = typeof expires === "string" && typeof signature === "string";
    if (!presented && !isSigned) {
      throw new DomainError("UNAUTHORIZED", "A deployment read token is required");
    }
    const notFound = new DomainError("NOT_FOUND", "Deployment not found");
    if (!uuidPattern.test(deploymentId)) throw notFound;
    const secret = deps.config.auth.secret;
    const isAllowed = presented
      ? isArtifactReadToken(secret, deploymentId, presented)
      : isArtifactUrlSignature(secret, deploymentId, expires!, signature!);
    if (!isAllowed) throw notFound;
    const row = await deps.db.deployment.findUnique({
      where: { id: deploymentId },
      select: { version: { select: { artifactUri: true, artifactSha256: true } } },
    });
    const { artifactUri, artifactSha256 } = row?.version ?? {};
    if (!artifactUri || !artifactSha256) throw notFound;
    try {
      const object = await deps.storage.get(artifactUri, {});
      return reply
        .header("content-length", String(object.contentLength))
        .header("etag", `"${artifactSha256}"`)
        .header("digest", `sha-256=${Buffer.from(artifactSha256, "hex").toString("base64")}`)
        .header("cache-control", "private, no-store")
        .type("application/octet-stream")
        .send(object.body);
    } catch (error) {
      if (error instanceof StorageNotFoundError) throw notFound;
      if (isUnavailable(error)) {
        throw new DomainError("SERVICE_UNAVAILABLE", "Artifact storage is unreachable; retry", {
          retryAfterSeconds: 5,
        });
      }
      throw error;
    }
  });
}
