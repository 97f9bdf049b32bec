import { ZOkResult } from "../schemas/common";
import {
  ZCreateVersionInput,
  ZSignature,
  ZUploadStatus,
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
import { getUploadStatus } from "../services/upload.service";
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

  /** Inputs and outputs read from the uploaded ONNX file (null before an upload, and for scikit-learn). */
  signature: protectedProcedure
    .input(ZVersionIdInput)
    .output(ZSignature.nullable())
    .query(async ({ ctx, input }) => (await getVersion(ctx.deps, ctx.actor, input)).signature),

  uploadStatus: protectedProcedure
    .input(ZVersionIdInput)
    .output(ZUploadStatus)
    .query(({ ctx, input }) => getUploadStatus(ctx.deps, ctx.actor, input.id)),

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
