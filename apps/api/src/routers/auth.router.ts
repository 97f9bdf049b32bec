import {
  ZLoginInput,
  ZLogoutAllResult,
  ZMe,
  ZRegisterInput,
  ZSessionResult,
} from "../schemas/auth";
import { ZOkResult } from "../schemas/common";
import {
  getMe,
  loginUser,
  logoutAllSessions,
  logoutSession,
  registerUser,
} from "../services/auth.service";
import { protectedProcedure, publicProcedure, router } from "../trpc";

export const authRouter = router({
  register: publicProcedure
    .input(ZRegisterInput)
    .output(ZSessionResult)
    .mutation(({ ctx, input }) => registerUser(ctx.deps, input, ctx.request)),

  login: publicProcedure
    .input(ZLoginInput)
    .output(ZSessionResult)
    .mutation(async ({ ctx, input }) => {
      const { session, deviceToken } = await loginUser(ctx.deps, input, ctx.request);
      ctx.response.setDeviceToken(deviceToken);
      return session;
    }),

  me: protectedProcedure.output(ZMe).query(({ ctx }) => getMe(ctx.deps, ctx.actor)),

  logout: protectedProcedure.output(ZOkResult).mutation(async ({ ctx }) => {
    await logoutSession(ctx.deps, ctx.actor);
    return { ok: true as const };
  }),

  logoutAll: protectedProcedure.output(ZLogoutAllResult).mutation(async ({ ctx }) => ({
    revokedSessions: await logoutAllSessions(ctx.deps, ctx.actor),
  })),
});
