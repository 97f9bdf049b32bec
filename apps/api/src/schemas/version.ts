import { ZVersionTag } from "@kubeserve/k8s/names";
import { z } from "zod";
import { ZCursor, ZId, ZIsoDate, ZPage, ZPageSize } from "./common";
import { ZMetadata, ZStoredMetadata } from "./metadata";
import { ZDescription } from "./model";

export const ZFramework = z.enum(["onnx", "sklearn"]);
export const ZVersionStatus = z.enum(["pending_upload", "ready", "failed"]);

export const ZTensorSpec = z.object({
  name: z.string(),
  datatype: z.string(),
  /** -1 for every dynamic dimension, as the model server's V2 metadata reports it */
  shape: z.array(z.number().int()),
  /** the symbolic name of each dimension (e.g. "N"), null where it has none */
  dimNames: z.array(z.string().nullable()).optional(),
});
export type TTensorSpec = z.infer<typeof ZTensorSpec>;

/** Read from the model header without loading the weights (onnxruntime does not expose these). */
export const ZOnnxHeader = z.object({
  irVersion: z.number().int(),
  opsets: z.array(z.object({ domain: z.string(), version: z.number().int() })),
  producer: z.object({ name: z.string(), version: z.string() }),
  domain: z.string(),
  modelVersion: z.number().int(),
});

/** Read by the sandboxed load of a scikit-learn file at upload (the pickle itself says nothing reliable). */
export const ZSklearnInfo = z.object({
  estimator: z.string(),
  /** the version the file was saved with (from the pickle), null when it does not say */
  sklearnVersion: z.string().nullable(),
  runtimeSklearnVersion: z.string(),
  featureNames: z.array(z.string()).nullable(),
  classes: z.array(z.union([z.string(), z.number(), z.boolean()])).nullable(),
  task: z.enum(["classification", "regression"]),
  /** what V1 `:predict` returns: class probabilities for classifiers, else predictions */
  v1Output: z.enum(["predict", "predict_proba"]),
  warnings: z.array(z.string()),
});
export type TSklearnInfo = z.infer<typeof ZSklearnInfo>;

export const ZSignature = z.object({
  inputs: z.array(ZTensorSpec),
  outputs: z.array(ZTensorSpec),
  header: ZOnnxHeader.optional(),
  sklearn: ZSklearnInfo.optional(),
});
export type TSignature = z.infer<typeof ZSignature>;

export const ZArtifact = z.object({
  uri: z.string(),
  filename: z.string(),
  size: z.number().int(),
  sha256: z.string(),
});
export type TArtifact = z.infer<typeof ZArtifact>;

export const ZVersion = z.object({
  id: ZId,
  modelId: ZId,
  tag: z.string(),
  description: z.string(),
  framework: ZFramework,
  metadata: ZStoredMetadata,
  status: ZVersionStatus,
  statusMessage: z.string().nullable(),
  artifact: ZArtifact.nullable(),
  /** requirements.txt of a scikit-learn version */
  requirements: z.object({ uri: z.string(), sha256: z.string() }).nullable(),
  signature: ZSignature.nullable(),
  createdAt: ZIsoDate,
  updatedAt: ZIsoDate,
});
export type TVersion = z.infer<typeof ZVersion>;

export const ZCreateVersionInput = z
  .object({
    modelId: ZId,
    tag: ZVersionTag,
    framework: ZFramework,
    description: ZDescription.default(""),
    metadata: ZMetadata.default({}),
  })
  .strict();
export type TCreateVersionInput = z.infer<typeof ZCreateVersionInput>;

export const ZListVersionsInput = z
  .object({ modelId: ZId, cursor: ZCursor.optional(), limit: ZPageSize })
  .strict();
export type TListVersionsInput = z.infer<typeof ZListVersionsInput>;

export const ZVersionPage = ZPage(ZVersion);

export const ZGetVersionInput = z.union([
  z.object({ id: ZId }).strict(),
  z.object({ modelId: ZId, tag: ZVersionTag }).strict(),
]);
export type TGetVersionInput = z.infer<typeof ZGetVersionInput>;

export const ZUpdateVersionInput = z
  .object({ id: ZId, description: ZDescription.optional(), metadata: ZMetadata.optional() })
  .strict();
export type TUpdateVersionInput = z.infer<typeof ZUpdateVersionInput>;

export const ZVersionIdInput = z.object({ id: ZId }).strict();

export const ZUploadStatus = z.object({
  state: z.enum(["idle", "uploading", "stored", "ready", "failed"]),
  kind: z.enum(["oneshot", "tus"]).nullable(),
  offset: z.number().int().nullable(),
  size: z.number().int().nullable(),
  expiresAt: ZIsoDate.nullable(),
  message: z.string().nullable(),
});
