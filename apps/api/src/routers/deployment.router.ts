import { ZOkResult } from "../schemas/common";
import {
  ZCreateDeploymentInput,
  ZDeployment,
  ZDeploymentDetail,
  ZDeploymentIdInput,
  ZDeploymentLogs,
  ZDeploymentLogsInput,
  ZDeploymentMetrics,
  ZDeploymentMetricsInput,
  ZDeploymentPage,
  ZListDeploymentsInput,
  ZScaleDeploymentInput,
  ZUpdateDeploymentInput,
} from "../schemas/deployment";
import {
  createDeployment,
  deleteDeployment,
  deploymentLogs,
  deploymentMetrics,
  getDeployment,
  listDeployments,
  scaleDeployment,
  startDeployment,
  stopDeployment,
  updateDeployment,
} from "../services/deployment.service";
import { protectedProcedure, router } from "../trpc";

export const deploymentRouter = router({
  create: protectedProcedure
    .input(ZCreateDeploymentInput)
    .output(ZDeployment)
    .mutation(({ ctx, input }) => createDeployment(ctx.deps, ctx.actor, input)),

  list: protectedProcedure
    .input(ZListDeploymentsInput)
    .output(ZDeploymentPage)
    .query(({ ctx, input }) => listDeployments(ctx.deps, ctx.actor, input)),

  get: protectedProcedure
    .input(ZDeploymentIdInput)
    .output(ZDeploymentDetail)
    .query(({ ctx, input }) => getDeployment(ctx.deps, ctx.actor, input.id)),

  scale: protectedProcedure
    .input(ZScaleDeploymentInput)
    .output(ZDeployment)
    .mutation(({ ctx, input }) => scaleDeployment(ctx.deps, ctx.actor, input)),

  update: protectedProcedure
    .input(ZUpdateDeploymentInput)
    .output(ZDeployment)
    .mutation(({ ctx, input }) => updateDeployment(ctx.deps, ctx.actor, input)),

  stop: protectedProcedure
    .input(ZDeploymentIdInput)
    .output(ZDeployment)
    .mutation(({ ctx, input }) => stopDeployment(ctx.deps, ctx.actor, input.id)),

  start: protectedProcedure
    .input(ZDeploymentIdInput)
    .output(ZDeployment)
    .mutation(({ ctx, input }) => startDeployment(ctx.deps, ctx.actor, input.id)),

  delete: protectedProcedure
    .input(ZDeploymentIdInput)
    .output(ZOkResult)
    .mutation(async ({ ctx, input }) => {
      await deleteDeployment(ctx.deps, ctx.actor, input.id);
      return { ok: true as const };
    }),

  logs: protectedProcedure
    .input(ZDeploymentLogsInput)
    .output(ZDeploymentLogs)
    .query(({ ctx, input }) => deploymentLogs(ctx.deps, ctx.actor, input.id, input.lines)),

  metrics: protectedProcedure
    .input(ZDeploymentMetricsInput)
    .output(ZDeploymentMetrics)
    .query(({ ctx, input }) => deploymentMetrics(ctx.deps, ctx.actor, input)),
});
