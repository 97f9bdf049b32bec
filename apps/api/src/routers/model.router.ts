import { ZOkResult } from "../schemas/common";
import {
  ZCreateModelInput,
  ZGetModelInput,
  ZListModelsInput,
  ZModel,
  ZModelIdInput,
  ZModelPage,
  ZUpdateModelInput,
} from "../schemas/model";
import {
  createModel,
  deleteModel,
  getModel,
  listModels,
  updateModel,
} from "../services/model.service";
import { protectedProcedure, router } from "../trpc";

export const modelRouter = router({
  create: protectedProcedure
    .input(ZCreateModelInput)
    .output(ZModel)
    .mutation(({ ctx, input }) => createModel(ctx.deps, ctx.actor, input)),

  list: protectedProcedure
    .input(ZListModelsInput)
    .output(ZModelPage)
    .query(({ ctx, input }) => listModels(ctx.deps, ctx.actor, input)),

  get: protectedProcedure
    .input(ZGetModelInput)
    .output(ZModel)
    .query(({ ctx, input }) => getModel(ctx.deps, ctx.actor, input)),

  update: protectedProcedure
    .input(ZUpdateModelInput)
    .output(ZModel)
    .mutation(({ ctx, input }) => updateModel(ctx.deps, ctx.actor, input)),

  delete: protectedProcedure
    .input(ZModelIdInput)
    .output(ZOkResult)
    .mutation(async ({ ctx, input }) => {
      await deleteModel(ctx.deps, ctx.actor, input.id);
      return { ok: true as const };
    }),
});
