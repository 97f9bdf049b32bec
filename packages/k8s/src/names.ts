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
