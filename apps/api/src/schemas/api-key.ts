import { z } from "zod";
import { ZId, ZIsoDate } from "./common";
import { ZLineText } from "./text";

export const ZApiKey = z.object({
  id: ZId,
  userId: ZId,
  name: z.string(),
  prefix: z.string(),
  createdAt: ZIsoDate,
  expiresAt: ZIsoDate.nullable(),
  lastUsedAt: ZIsoDate.nullable(),
  revokedAt: ZIsoDate.nullable(),
  kind: z.enum(["management", "predict"]),
  /** Empty: every deployment of the owner. */
  deploymentIds: z.array(ZId),
});
export type TApiKey = z.infer<typeof ZApiKey>;

export const ZCreateApiKeyInput = z
  .object({
    name: ZLineText.trim()
      .min(1, "Key name is required")
      .max(64, "Key name must be at most 64 characters"),
    expiresAt: z.iso
      .datetime({ offset: true, error: "expiresAt must be an ISO 8601 date-time" })
      // Stored dates must come back as 4-digit-year ISO text; a later one would fail the output schema.
      .refine((value) => new Date(value).getTime() < Date.UTC(10_000, 0, 1), {
        message: "expiresAt must be before the year 10000",
      })
      .optional(),
    /** `predict` keys reach only the prediction gateway: tRPC refuses them. */
    kind: z.enum(["management", "predict"]).default("management"),
    /** Limits the key's predictions to these deployments of its owner (default: all of them). */
    deploymentIds: z.array(ZId).max(100, "a key may list at most 100 deployments").default([]),
  })
  .strict();
export type TCreateApiKeyInput = z.infer<typeof ZCreateApiKeyInput>;

export const ZCreateApiKeyResult = z.object({
  apiKey: ZApiKey,
  /** The whole key: shown once, stored only as a hash. */
  secret: z.string(),
});

export const ZListApiKeysInput = z
  .object({ includeRevoked: z.boolean().default(false) })
  .strict()
  .default({ includeRevoked: false });

export const ZApiKeyIdInput = z.object({ id: ZId }).strict();
