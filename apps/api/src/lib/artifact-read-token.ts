import { createHmac, timingSafeEqual } from "node:crypto";

// A runtime's credential for its deployment's artifact: derived from the API's secret and the deployment id,
// so nothing is stored, every replica (or a pod rescheduled hours later) can fetch again, and deleting the
// deployment revokes it (the route answers only for deployments that exist).

export function artifactReadToken(secret: string, deploymentId: string): string {
  return `ksr_${createHmac("sha256", secret).update(`artifact-read:${deploymentId}`).digest("base64url")}`;
}

export function isArtifactReadToken(
  secret: string,
  deploymentId: string,
  presented: string,
): boolean {
  const expected = Buffer.from(artifactReadToken(secret, deploymentId));
  const given = Buffer.from(presented);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * A short-lived URL signature for runtimes that can only be handed a URL (Ray's runtime_env/args):
 * HMAC over the deployment id and expiry, so it names one deployment and stops working at `expiresAt`.
 */
export function signArtifactUrl(secret: string, deploymentId: string, expiresAtMs: number): string {
  const expires = Math.floor(expiresAtMs / 1000);
  const signature = createHmac("sha256", secret)
    .update(`artifact-url:${deploymentId}:${expires}`)
    .digest("base64url");
  return `expires=${expires}&signature=${signature}`;
}

export function isArtifactUrlSignature(
  secret: string,
  deploymentId: string,
  expires: string,
  signature: string,
  nowMs = Date.now(),
): boolean {
  if (!/^\d{1,12}$/.test(expires) || Number(expires) * 1000 < nowMs) return false;
  const expected = Buffer.from(
    createHmac("sha256", secret)
      .update(`artifact-url:${deploymentId}:${expires}`)
      .digest("base64url"),
  );
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The token a deployment's model pods require from the gateway; derived the same way, so restarts agree. */
export function replicaAuthToken(secret: string, deploymentId: string): string {
  return `ksp_${createHmac("sha256", secret).update(`replica-auth:${deploymentId}`).digest("base64url")}`;
}
