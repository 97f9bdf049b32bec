import { z } from "zod";

// Model and deployment names become Kubernetes object names (RFC 1035 labels: Services require a
// leading letter) and URL path segments, so they are validated once here for every app.

export const maxModelNameLength = 40;
export const maxVersionTagLength = 32;

const dnsLabelPattern = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const versionTagPattern = /^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$/;

export function isDnsLabel(value: string, maxLength = 63): boolean {
  return value.length <= maxLength && dnsLabelPattern.test(value);
}

function describeNameRule(what: string, maxLength: number): string {
  return (
    `${what} must be 1–${maxLength} characters of lowercase letters, digits and '-', ` +
    "start with a letter and end with a letter or digit (it becomes a Kubernetes name and a URL path)"
  );
}

export const ZModelName = z
  .string()
  .min(1, describeNameRule("Model name", maxModelNameLength))
  .max(maxModelNameLength, describeNameRule("Model name", maxModelNameLength))
  .regex(dnsLabelPattern, describeNameRule("Model name", maxModelNameLength));

export const ZDeploymentName = z
  .string()
  .min(1, describeNameRule("Deployment name", 63))
  .max(63, describeNameRule("Deployment name", 63))
  .regex(dnsLabelPattern, describeNameRule("Deployment name", 63));

const versionTagRule =
  `Version tag must be 1–${maxVersionTagLength} characters of lowercase letters, digits, '.', '_' ` +
  "and '-', starting and ending with a letter or digit (e.g. v1, 2.0.1; it becomes a URL path)";

export const ZVersionTag = z
  .string()
  .min(1, versionTagRule)
  .max(maxVersionTagLength, versionTagRule)
  .regex(versionTagPattern, versionTagRule);

export type TModelName = z.infer<typeof ZModelName>;
export type TVersionTag = z.infer<typeof ZVersionTag>;

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const ZUuid = z
  .string()
  .transform((value) => value.toLowerCase())
  .pipe(z.string().regex(uuidPattern, "must be a UUID (8-4-4-4-12 hex digits)"));

function compactUuid(id: string, what: string): string {
  const lower = id.toLowerCase();
  if (!uuidPattern.test(lower))
    throw new Error(`${what} must be a UUID, got ${JSON.stringify(id)}`);
  return lower.replaceAll("-", "");
}

/** One namespace per user: `kubeserve-u-` + the 32 hex digits of the id (44 characters, stable). */
export function namespaceForUser(userId: string): string {
  return `kubeserve-u-${compactUuid(userId, "User id")}`;
}

/**
 * Every object of one deployment is named from its id, not its (renameable) name: `kd-` + 32 hex
 * digits, a 35-character RFC 1035 label that leaves room for suffixes such as `-token`.
 */
export function deploymentResourceName(deploymentId: string): string {
  return `kd-${compactUuid(deploymentId, "Deployment id")}`;
}

/** The Secret holding a deployment's artifact read token. */
export function artifactTokenSecretName(deploymentId: string): string {
  return `${deploymentResourceName(deploymentId)}-token`;
}

/** Ray Serve application owned by KubeServe; every other application name is someone else's. */
export function rayApplicationName(deploymentId: string): string {
  compactUuid(deploymentId, "Deployment id");
  return `kubeserve-${deploymentId.toLowerCase()}`;
}

export function rayRoutePrefix(deploymentId: string): string {
  compactUuid(deploymentId, "Deployment id");
  return `/kubeserve/${deploymentId.toLowerCase()}`;
}

const rayApplicationPattern =
  /^kubeserve-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

/** The deployment id of a KubeServe-owned Ray application, or undefined for anyone else's. */
export function parseRayApplicationName(name: string): string | undefined {
  return rayApplicationPattern.exec(name)?.[1];
}
