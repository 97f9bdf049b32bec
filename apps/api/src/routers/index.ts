import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import { createCallerFactory, router } from "../trpc";
import { apiKeyRouter } from "./api-key.router";
import { authRouter } from "./auth.router";
import { deploymentRouter } from "./deployment.router";
import { modelRouter } from "./model.router";
import { quotaRouter } from "./quota.router";
import { versionRouter } from "./version.router";

export const appRouter = router({
  auth: authRouter,
  apiKey: apiKeyRouter,
  model: modelRouter,
  version: versionRouter,
  deployment: deploymentRouter,
  quota: quotaRouter,
});

export type AppRouter = typeof appRouter;
export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;

export const createCaller = createCallerFactory(appRouter);
