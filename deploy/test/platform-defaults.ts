import { ZPlatformSpec } from "@kubeserve/k8s/spec";

/** What the tenant and route builders assume about the platform when given no overrides. */
export function parsePlatformDefaults() {
  return ZPlatformSpec.parse({});
}
