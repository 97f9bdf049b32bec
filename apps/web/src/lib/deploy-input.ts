import type { RouterInputs } from "@kubeserve/api";
import type { TApiProblem } from "./api-error";

// The deploy form's raw text → the API's create input, with the rules the API applies checked as the user types.

export type TCreateDeploymentInput = RouterInputs["deployment"]["create"];

export type TDeployFormValues = {
  name: string;
  replicas: string;
  cpuRequest: string;
  cpuLimit: string;
  memoryRequest: string;
  memoryLimit: string;
  isAutoscaling: boolean;
  minReplicas: string;
  maxReplicas: string;
  targetInFlight: string;
  batching: "auto" | "on" | "off";
  maxBatchSize: string;
  maxQueueDelayMs: string;
};

export const defaultDeployValues: TDeployFormValues = {
  name: "",
  replicas: "1",
  cpuRequest: "",
  cpuLimit: "",
  memoryRequest: "",
  memoryLimit: "",
  isAutoscaling: false,
  minReplicas: "1",
  maxReplicas: "3",
  targetInFlight: "4",
  batching: "auto",
  maxBatchSize: "32",
  maxQueueDelayMs: "1",
};

/** Same rule as @kubeserve/k8s ZDeploymentName: the name becomes a Kubernetes object name and a URL segment. */
const dnsLabelPattern = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const cpuPattern = /^\d+(\.\d+)?m?$/;
const memoryPattern = /^\d+(\.\d+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$/;

/** A suggested deployment name from model name and version tag ("iris", "v1.2" → "iris-v1-2"). */
export function suggestDeploymentName(modelName: string, tag: string): string {
  const joined = `${modelName}-${tag}`
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-+/g, "-")
    .replace(/^[^a-z]+/, "")
    .slice(0, 63)
    .replace(/-+$/, "");
  return joined || "deployment";
}

export function checkDeploymentName(name: string): string | undefined {
  if (name.length === 0) return "Name is required";
  if (name.length > 63) return "At most 63 characters";
  if (/[A-Z]/.test(name)) return "Use lowercase letters only";
  if (!/^[a-z]/.test(name)) return "Must start with a letter";
  if (!/[a-z0-9]$/.test(name)) return "Must end with a letter or digit";
  if (!dnsLabelPattern.test(name)) return "Only lowercase letters, digits and '-'";
  return undefined;
}

function readInt(value: string, field: string, min: number, max: number, errors: TErrors) {
  const number = Number(value);
  if (value.trim() === "" || !Number.isInteger(number)) {
    errors[field] = "Must be a whole number";
  } else if (number < min || number > max) {
    errors[field] = `Must be between ${min} and ${max}`;
  }
  return number;
}

type TErrors = Record<string, string>;

export type TDeployFormResult =
  { isValid: true; input: TCreateDeploymentInput } | { isValid: false; errors: TErrors };

/** Field keys match the API's error paths ("resources.cpuLimit"), so both land beside the same input. */
export function buildDeploymentInput(versionId: string, v: TDeployFormValues): TDeployFormResult {
  const errors: TErrors = {};
  const nameError = checkDeploymentName(v.name);
  if (nameError) errors.name = nameError;
  const replicas = readInt(v.replicas, "replicas", 0, 1000, errors);
  const resources: Record<string, string> = {};
  for (const [key, pattern, example] of [
    ["cpuRequest", cpuPattern, "500m or 2"],
    ["cpuLimit", cpuPattern, "500m or 2"],
    ["memoryRequest", memoryPattern, "512Mi or 2Gi"],
    ["memoryLimit", memoryPattern, "512Mi or 2Gi"],
  ] as const) {
    const value = v[key].trim();
    if (!value) continue;
    if (pattern.test(value)) resources[key] = value;
    else errors[`resources.${key}`] = `Use a quantity such as ${example}`;
  }
  let autoscaling: TCreateDeploymentInput["autoscaling"];
  if (v.isAutoscaling) {
    const minReplicas = readInt(v.minReplicas, "autoscaling.minReplicas", 0, 1000, errors);
    const maxReplicas = readInt(v.maxReplicas, "autoscaling.maxReplicas", 1, 1000, errors);
    const targetInFlight = Number(v.targetInFlight);
    if (!(targetInFlight >= 0.1 && targetInFlight <= 10_000)) {
      errors["autoscaling.targetInFlight"] = "Must be between 0.1 and 10000";
    }
    if (!errors["autoscaling.minReplicas"] && minReplicas > maxReplicas) {
      errors["autoscaling.minReplicas"] = "Must not exceed max replicas";
    }
    autoscaling = { minReplicas, maxReplicas, targetInFlight };
  }
  const maxBatchSize = readInt(v.maxBatchSize, "runtimeOptions.maxBatchSize", 1, 1024, errors);
  const maxQueueDelayMs = readInt(
    v.maxQueueDelayMs,
    "runtimeOptions.maxQueueDelayMs",
    0,
    1000,
    errors,
  );
  if (Object.keys(errors).length > 0) return { isValid: false, errors };
  return {
    isValid: true,
    input: {
      versionId,
      name: v.name,
      replicas,
      resources,
      autoscaling,
      runtimeOptions: { batching: v.batching, maxBatchSize, maxQueueDelayMs },
    },
  };
}

// Errors the API raises outside zod still name their field first ("replicas must be at most 4 …").
const messageFields: [RegExp, string][] = [
  [/^A deployment named /, "name"],
  [/^autoscaling\.maxReplicas/, "autoscaling.maxReplicas"],
  [/^replicas \(/, "replicas"],
  [/^replicas /, "replicas"],
];

/** Where to show each of the API's complaints: by its zod path, or by the field its message names. */
export function placeApiErrors(problem: TApiProblem | undefined): {
  fields: TErrors;
  general: string | undefined;
} {
  if (!problem) return { fields: {}, general: undefined };
  if (Object.keys(problem.fieldErrors).length > 0) {
    return { fields: problem.fieldErrors, general: undefined };
  }
  const match = messageFields.find(([pattern]) => pattern.test(problem.message));
  return match
    ? { fields: { [match[1]]: problem.message }, general: undefined }
    : { fields: {}, general: problem.message };
}
