import { ZSetUserQuotaInput, ZUserQuota, ZUserQuotaInput } from "../schemas/quota";
import { getUserQuota, setUserQuota } from "../services/quota.service";
import { adminProcedure, protectedProcedure, router } from "../trpc";

// Per-user limits. Who may reach it: `get` any signed-in user for themselves (admins for anyone);
// `set` admins only (403 for everyone else).
export const quotaRouter = router({
  get: protectedProcedure
    .input(ZUserQuotaInput)
    .output(ZUserQuota)
    .query(({ ctx, input }) => getUserQuota(ctx.deps, ctx.actor, input.userId)),

  set: adminProcedure
    .input(ZSetUserQuotaInput)
    .output(ZUserQuota)
    .mutation(({ ctx, input }) => setUserQuota(ctx.deps, ctx.actor, input)),
});
