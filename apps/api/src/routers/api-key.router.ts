import { z } from "zod";
import {
  ZApiKey,
  ZApiKeyIdInput,
  ZCreateApiKeyInput,
  ZCreateApiKeyResult,
  ZListApiKeysInput,
} from "../schemas/api-key";
import { createApiKey, listApiKeys, revokeApiKey } from "../services/api-key.service";
import { protectedProcedure, router } from "../trpc";

export const apiKeyRouter = router({
  create: protectedProcedure
    .input(ZCreateApiKeyInput)
    .output(ZCreateApiKeyResult)
    .mutation(({ ctx, input }) => createApiKey(ctx.deps, ctx.actor, input)),

  list: protectedProcedure
    .input(ZListApiKeysInput)
    .output(z.array(ZApiKey))
    .query(({ ctx, input }) => listApiKeys(ctx.deps, ctx.actor, input)),

  revoke: protectedProcedure
    .input(ZApiKeyIdInput)
    .output(ZApiKey)
    .mutation(({ ctx, input }) => revokeApiKey(ctx.deps, ctx.actor, input.id)),
});
