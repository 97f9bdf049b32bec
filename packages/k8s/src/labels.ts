// Every object KubeServe creates carries these labels, so the driver can find, watch and remove
// exactly its own objects by label selection and nothing else.

/** The one server-side-apply field manager used for every object KubeServe applies. */
export const FIELD_MANAGER = "kubeserve";

export const LABEL = {
  name: "app.kubernetes.io/name",
  instance: "app.kubernetes.io/instance",
  version: "app.kubernetes.io/version",
  component: "app.kubernetes.io/component",
  partOf: "app.kubernetes.io/part-of",
  managedBy: "app.kubernetes.io/managed-by",
  ownerId: "kubeserve.io/owner-id",
  modelId: "kubeserve.io/model-id",
  versionId: "kubeserve.io/version-id",
  deploymentId: "kubeserve.io/deployment-id",
  // On tenant namespaces: what Gateways' allowedRoutes and the admission policy select.
  tenant: "kubeserve.io/tenant",
} as const;

export const ANNOTATION = {
  deploymentName: "kubeserve.io/deployment-name",
  modelName: "kubeserve.io/model-name",
  artifactSha256: "kubeserve.io/artifact-sha256",
} as const;

export const PART_OF = "kubeserve";
export const MANAGED_BY = "kubeserve";

export type TLabels = Record<string, string>;

export type TTenantLabelInput = { userId: string };

export type TDeploymentLabelInput = {
  userId: string;
  modelId: string;
  versionId: string;
  deploymentId: string;
  modelName: string;
  versionTag: string;
  instance: string;
};

export function tenantLabels(input: TTenantLabelInput, component = "tenant"): TLabels {
  return {
    [LABEL.name]: "kubeserve-tenant",
    [LABEL.component]: component,
    [LABEL.partOf]: PART_OF,
    [LABEL.managedBy]: MANAGED_BY,
    [LABEL.ownerId]: input.userId,
  };
}

export function deploymentLabels(input: TDeploymentLabelInput): TLabels {
  return {
    [LABEL.name]: input.modelName,
    [LABEL.instance]: input.instance,
    [LABEL.version]: input.versionTag,
    [LABEL.component]: "model-server",
    [LABEL.partOf]: PART_OF,
    [LABEL.managedBy]: MANAGED_BY,
    [LABEL.ownerId]: input.userId,
    [LABEL.modelId]: input.modelId,
    [LABEL.versionId]: input.versionId,
    [LABEL.deploymentId]: input.deploymentId,
  };
}

/** Pod selector of a model Deployment: stable across version updates (a selector is immutable). */
export function podSelectorLabels(deploymentId: string): TLabels {
  return {
    [LABEL.component]: "model-server",
    [LABEL.deploymentId]: deploymentId,
  };
}

function formatSelector(labels: TLabels): string {
  return Object.entries(labels)
    .map(([key, value]) => `${key}=${value}`)
    .join(",");
}

/** `labelSelector` for listing or deleting every object of one deployment. */
export function deploymentSelector(deploymentId: string): string {
  return formatSelector({ [LABEL.managedBy]: MANAGED_BY, [LABEL.deploymentId]: deploymentId });
}

/** `labelSelector` for every object KubeServe made for one user (tenant objects and deployments). */
export function ownerSelector(userId: string): string {
  return formatSelector({ [LABEL.managedBy]: MANAGED_BY, [LABEL.ownerId]: userId });
}
