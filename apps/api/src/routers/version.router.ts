import { ZOkResult } from "../schemas/common";
import {
  ZCreateVersionInput,
  ZGetVersionInput,
  ZListVersionsInput,
  ZUpdateVersionInput,
  ZVersion,
  ZVersionIdInput,
  ZVersionPage,
} from "../schemas/version";
import {
  createVersion,
  deleteVersion,
  getVersion,
  listVersions,
  updateVersion,
} from "../services/version.service";
import { protectedProcedure, router } from "../trpc";

export const versionRouter = router({
  create: protectedProcedure
    .input(ZCreateVersionInput)
    .output(ZVersion)
    .mutation(({ ctx, input }) => createVersion(ctx.deps, ctx.actor, input)),

  list: protectedProcedure
    .input(ZListVersionsInput)
    .output(ZVersionPage)
    .query(({ ctx, input }) => listVersions(ctx.deps, ctx.actor, input)),

  get: protectedProcedure
    .input(ZGetVersionInput)
    .output(ZVersion)
    .query(({ ctx, input }) => getVersion(ctx.deps, ctx.actor, input)),

  update: protectedProcedure
    .input(ZUpdateVersionInput)
    .output(ZVersion)
    .mutation(({ ctx, input }) => updateVersion(ctx.deps, ctx.actor, input)),

  delete: protectedProcedure
    .input(ZVersionIdInput)
    .output(ZOkResult)
    .mutation(async ({ ctx, input }) => {
      await deleteVersion(ctx.deps, ctx.actor, input.id);
      return { ok: true as const };
    }),
});
