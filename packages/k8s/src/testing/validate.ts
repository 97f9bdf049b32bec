import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv, type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import { HTTPRoute, Gateway } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1";
import { ReferenceGrant } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1beta1";
import { ServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";
import {
  ValidatingAdmissionPolicy,
  ValidatingAdmissionPolicyBinding,
} from "kubernetes-models/admissionregistration.k8s.io/v1";
import { Deployment, StatefulSet } from "kubernetes-models/apps/v1";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import { Job } from "kubernetes-models/batch/v1";
import { Ingress, NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import {
  ClusterRole,
  ClusterRoleBinding,
  Role,
  RoleBinding,
} from "kubernetes-models/rbac.authorization.k8s.io/v1";
import {
  ConfigMap,
  LimitRange,
  Namespace,
  PersistentVolumeClaim,
  ResourceQuota,
  Secret,
  Service,
  ServiceAccount,
} from "kubernetes-models/v1";
import { parse } from "yaml";

// Test helpers: validate objects the way the API server would before we ever send them. Kinds are
// checked with kubernetes-models (the Kubernetes OpenAPI schemas and the CRDs' published schemas),
// RayService with KubeRay's own CRD schema, and metadata with the API server's name and label rules.

type TModelClass = new (data: never) => { validate(): void };

const models: Record<string, TModelClass> = {
  "v1/Namespace": Namespace,
  "v1/ResourceQuota": ResourceQuota,
  "v1/LimitRange": LimitRange,
  "v1/Service": Service,
  "v1/Secret": Secret,
  "v1/ConfigMap": ConfigMap,
  "v1/ServiceAccount": ServiceAccount,
  "v1/PersistentVolumeClaim": PersistentVolumeClaim,
  "apps/v1/Deployment": Deployment,
  "apps/v1/StatefulSet": StatefulSet,
  "batch/v1/Job": Job,
  "autoscaling/v2/HorizontalPodAutoscaler": HorizontalPodAutoscaler,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
  "networking.k8s.io/v1/NetworkPolicy": NetworkPolicy,
  "networking.k8s.io/v1/Ingress": Ingress,
  "rbac.authorization.k8s.io/v1/ClusterRole": ClusterRole,
  "rbac.authorization.k8s.io/v1/ClusterRoleBinding": ClusterRoleBinding,
  "rbac.authorization.k8s.io/v1/Role": Role,
  "rbac.authorization.k8s.io/v1/RoleBinding": RoleBinding,
  "admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy": ValidatingAdmissionPolicy,
  "admissionregistration.k8s.io/v1/ValidatingAdmissionPolicyBinding":
    ValidatingAdmissionPolicyBinding,
  "gateway.networking.k8s.io/v1/HTTPRoute": HTTPRoute,
  "gateway.networking.k8s.io/v1/Gateway": Gateway,
  "gateway.networking.k8s.io/v1beta1/ReferenceGrant": ReferenceGrant,
  "monitoring.coreos.com/v1/ServiceMonitor": ServiceMonitor,
};

const dnsSubdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const rfc1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const labelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const labelName = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

type TObject = { apiVersion?: string; kind?: string; metadata?: object };

/** The API server's checks on metadata that the OpenAPI schemas leave out. */
export function checkMetadata(object: TObject): string[] {
  const meta = (object.metadata ?? {}) as {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  const problems: string[] = [];
  const name = meta.name ?? "";
  const isLabelName = object.kind === "Namespace" || object.kind === "Service";
  const namePattern = object.kind === "Service" ? rfc1035 : isLabelName ? dnsLabel : dnsSubdomain;
  if (!namePattern.test(name) || name.length > (isLabelName ? 63 : 253)) {
    problems.push(`metadata.name ${JSON.stringify(name)} is not a valid ${object.kind} name`);
  }
  if (
    meta.namespace !== undefined &&
    (!dnsLabel.test(meta.namespace) || meta.namespace.length > 63)
  ) {
    problems.push(`metadata.namespace ${JSON.stringify(meta.namespace)} is not a DNS label`);
  }
  for (const [key, value] of Object.entries(meta.labels ?? {})) {
    const [prefix, local] = key.includes("/") ? key.split("/", 2) : [undefined, key];
    if (
      (prefix !== undefined && !dnsSubdomain.test(prefix)) ||
      !local ||
      local.length > 63 ||
      !labelName.test(local)
    ) {
      problems.push(`label key ${JSON.stringify(key)} is invalid`);
    }
    if (typeof value !== "string" || value.length > 63 || !labelValue.test(value)) {
      problems.push(
        `label ${key} value ${JSON.stringify(value)} is invalid (≤ 63 characters, alphanumeric ends)`,
      );
    }
  }
  for (const [key, value] of Object.entries(meta.annotations ?? {})) {
    if (typeof value !== "string") problems.push(`annotation ${key} must be a string`);
  }
  return problems;
}

/**
 * kustomize wraps long Secret values at 70 characters; the API server's base64 decoder (Go's) skips
 * line breaks, kubernetes-models' "byte" format does not, so they are removed before checking.
 */
function withoutBase64LineBreaks(object: TObject): TObject {
  const data = (object as { data?: Record<string, unknown> }).data;
  if (object.kind !== "Secret" || !data) return object;
  const unwrapped = Object.fromEntries(
    Object.entries(data).map(([key, value]) => [
      key,
      typeof value === "string" ? value.replace(/[\r\n]/g, "") : value,
    ]),
  );
  return { ...object, data: unwrapped } as TObject;
}

/** Throws with every problem found; unknown kinds throw too, so nothing is silently unchecked. */
export function validateManifest(object: TObject): void {
  const key = `${object.apiVersion}/${object.kind}`;
  if (key === "ray.io/v1/RayService") return validateRayService(object);
  const Model = models[key];
  if (!Model) throw new Error(`no schema registered for ${key}`);
  const problems = checkMetadata(object);
  try {
    new Model(withoutBase64LineBreaks(object) as never).validate();
  } catch (error) {
    problems.push((error as Error).message);
  }
  if (problems.length) {
    const name = (object.metadata as { name?: string } | undefined)?.name;
    throw new Error(`${key} ${String(name)}: ${problems.join("; ")}`);
  }
}

export function findRepoRoot(start = path.dirname(fileURLToPath(import.meta.url))): string {
  let dir = start;
  while (!existsSync(path.join(dir, "pnpm-workspace.yaml"))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error("repository root (pnpm-workspace.yaml) not found");
    dir = parent;
  }
  return dir;
}

/** Published schemas live beside the repository (`../shared/schemas`), never copied into it. */
export function sharedSchemaPath(...parts: string[]): string {
  return path.join(findRepoRoot(), "..", "shared", "schemas", ...parts);
}

type TSchema = Record<string, unknown>;

/**
 * The API server rejects unknown fields under `fieldValidation=Strict` (kubectl's default since 1.27),
 * so objects with declared properties get `additionalProperties: false` unless they preserve unknowns.
 */
function strictify(schema: TSchema): TSchema {
  const out: TSchema = { ...schema };
  if (
    out.properties &&
    out.additionalProperties === undefined &&
    !out["x-kubernetes-preserve-unknown-fields"]
  ) {
    out.additionalProperties = false;
  }
  for (const [key, value] of Object.entries(out)) {
    if (key === "properties" && value && typeof value === "object") {
      out[key] = Object.fromEntries(
        Object.entries(value as TSchema).map(([k, v]) => [k, strictify(v as TSchema)]),
      );
    } else if (
      (key === "items" || key === "additionalProperties") &&
      value &&
      typeof value === "object"
    ) {
      out[key] = strictify(value as TSchema);
    } else if ((key === "allOf" || key === "anyOf" || key === "oneOf") && Array.isArray(value)) {
      out[key] = value.map((v) => strictify(v as TSchema));
    }
  }
  return out;
}

let rayServiceValidator: ValidateFunction | undefined;

export function loadRayServiceValidator(): ValidateFunction {
  if (rayServiceValidator) return rayServiceValidator;
  const file = sharedSchemaPath("kuberay", "ray.io_rayservices.yaml");
  const crd = parse(readFileSync(file, "utf8")) as {
    spec: { versions: Array<{ name: string; schema: { openAPIV3Schema: TSchema } }> };
  };
  const version = crd.spec.versions.find((v) => v.name === "v1");
  if (!version) throw new Error(`${file} has no v1 version`);
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats.default(ajv);
  rayServiceValidator = ajv.compile(strictify(version.schema.openAPIV3Schema));
  return rayServiceValidator;
}

export function validateRayService(object: unknown): void {
  const validate = loadRayServiceValidator();
  const problems = checkMetadata(object as TObject);
  if (!validate(object)) {
    problems.push(
      ...(validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? ""}`),
    );
  }
  if (problems.length) throw new Error(`ray.io/v1/RayService: ${problems.join("; ")}`);
}
