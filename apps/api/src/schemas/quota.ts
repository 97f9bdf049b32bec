import { z } from "zod";
import { ZId } from "./common";
import { ZCpu, ZMemory } from "./deployment";

// A user's limits as an admin sets them; null keeps the server's default (no limit of that kind).

const ZCount = (what: string) =>
  z
    .number({ error: `${what} must be a whole number or null` })
    .int(`${what} must be a whole number`)
    .min(0, `${what} must be 0 or more`)
    .max(10_000, `${what} must be at most 10000`);

export const ZUserQuotaLimits = z
  .object({
    /** Deployments the user may own, in any state. */
    maxDeployments: ZCount("maxDeployments").nullable(),
    /** Replicas of the user's running deployments together (an autoscaled one counts its maxReplicas). */
    maxReplicas: ZCount("maxReplicas").nullable(),
    /** CPU limits of those replicas together (requests are ≤ limits), e.g. "4" or "2500m". */
    maxCpu: ZCpu.nullable(),
    /** Memory limits of those replicas together, e.g. "8Gi". */
    maxMemory: ZMemory.nullable(),
  })
  .strict();
export type TUserQuotaLimits = z.infer<typeof ZUserQuotaLimits>;

export const ZSetUserQuotaInput = ZUserQuotaLimits.partial().extend({ userId: ZId }).strict();
export type TSetUserQuotaInput = z.infer<typeof ZSetUserQuotaInput>;

export const ZUserQuotaInput = z.object({ userId: ZId }).strict();

export const ZUserQuota = ZUserQuotaLimits.extend({
  userId: ZId,
  /** What the user's deployments use now, by the same accounting the limits are checked with. */
  usage: z.object({
    deployments: z.number().int(),
    replicas: z.number().int(),
    cpu: z.string(),
    memory: z.string(),
  }),
});
export type TUserQuota = z.infer<typeof ZUserQuota>;
