import { ZModelName } from "@kubeserve/k8s/names";
import { z } from "zod";
import { ZCursor, ZId, ZIsoDate, ZPage, ZPageSize } from "./common";
import { ZLineText, ZMultilineText } from "./text";

// Model tags label a model for search ("tabular", "team:fraud"); a version's tag (ZVersionTag) names it.
const modelTagRule =
  "Each tag must be 1–32 characters of letters, digits, '.', '_', ':', '/' or '-'";
export const ZModelTag = ZLineText.trim()
  .min(1, modelTagRule)
  .max(32, modelTagRule)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]*$/, modelTagRule);

export const ZModelTags = z
  .array(ZModelTag)
  .max(20, "At most 20 tags")
  .transform((tags) => [...new Set(tags)]);

export const ZDescription = ZMultilineText.max(2000, "Description must be at most 2000 characters");

export const ZModel = z.object({
  id: ZId,
  ownerId: ZId,
  name: z.string(),
  description: z.string(),
  tags: z.array(z.string()),
  versionCount: z.number().int(),
  createdAt: ZIsoDate,
  updatedAt: ZIsoDate,
});
export type TModel = z.infer<typeof ZModel>;

export const ZCreateModelInput = z
  .object({ name: ZModelName, description: ZDescription.default(""), tags: ZModelTags.default([]) })
  .strict();
export type TCreateModelInput = z.infer<typeof ZCreateModelInput>;

export const ZListModelsInput = z
  .object({
    cursor: ZCursor.optional(),
    limit: ZPageSize,
    search: ZLineText.trim().max(100, "Search must be at most 100 characters").optional(),
    sortBy: z.enum(["name", "updatedAt"]).default("updatedAt"),
    sortDir: z.enum(["asc", "desc"]).optional(),
  })
  .strict()
  .default({ limit: 50, sortBy: "updatedAt" });
export type TListModelsInput = z.infer<typeof ZListModelsInput>;

/** The newest version, as the model hub shows it beside each model. */
export const ZLatestVersion = z.object({
  id: ZId,
  tag: z.string(),
  framework: z.enum(["onnx", "sklearn"]),
  status: z.enum(["pending_upload", "ready", "failed"]),
  createdAt: ZIsoDate,
});

/** A deployment as the hub's badges show it (counts and the status of each, newest first). */
export const ZModelDeploymentSummary = z.object({
  id: ZId,
  name: z.string(),
  status: z.enum(["pending", "deploying", "running", "degraded", "stopping", "stopped", "failed"]),
});

export const ZModelListItem = ZModel.extend({
  latestVersion: ZLatestVersion.nullable(),
  deployments: z.array(ZModelDeploymentSummary),
});
export type TModelListItem = z.infer<typeof ZModelListItem>;

export const ZModelPage = ZPage(ZModelListItem);
export type TModelPage = z.infer<typeof ZModelPage>;

export const ZGetModelInput = z.union([
  z.object({ id: ZId }).strict(),
  z.object({ name: ZModelName }).strict(),
]);
export type TGetModelInput = z.infer<typeof ZGetModelInput>;

export const ZUpdateModelInput = z
  .object({ id: ZId, description: ZDescription.optional(), tags: ZModelTags.optional() })
  .strict();
export type TUpdateModelInput = z.infer<typeof ZUpdateModelInput>;

export const ZModelIdInput = z.object({ id: ZId }).strict();
