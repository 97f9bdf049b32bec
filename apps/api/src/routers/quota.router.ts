import { ZSetUserQuotaInput, ZUserQuota, ZUserQuotaInput } from "../schemas/quota";
import { getUserQuota, setUserQuota } from "../services/quota.service";
import { protectedProcedure, router } from "../trpc";

// Per-user limits. Who may reach it: `get` any signed-in user for themselves (admins for anyone);
// `set` admins only: the service refuses everyone else with a 403 (after input validation, so bad input
// is a 400 for anyone).
export const quotaRouter = router({
  get: protectedProcedure
    .input(ZUserQuotaInput)
    .output(ZUserQuota)
    .query(({ ctx, input }) => getUserQuota(ctx.deps, ctx.actor, input.userId)),

  set: protectedProcedure
    .input(ZSetUserQuotaInput)
    .output(ZUserQuota)
    .mutation(({ ctx, input }) => setUserQuota(ctx.deps, ctx.actor, input)),
});
