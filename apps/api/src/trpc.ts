import { initTRPC, TRPCError } from "@trpc/server";
import { ZodError } from "zod";
import type { TContext } from "./context";
import { toDomainError, toTRPCError } from "./lib/errors";

const t = initTRPC.context<TContext>().create({
  errorFormatter({ shape, error }) {
    const domain = toDomainError(error.cause);
    const zod =
      error.code === "BAD_REQUEST" && error.cause instanceof ZodError ? error.cause : undefined;
    return {
      ...shape,
      data: {
        ...shape.data,
        // Stack traces stay in logs.
        stack: undefined,
        fieldErrors: zod
          ? zod.issues.map((i) => ({ path: i.path.join("."), message: i.message }))
          : undefined,
        retryAfterSeconds: domain?.details.retryAfterSeconds,
      },
    };
  },
});

function formatZodMessage(error: ZodError): string {
  return error.issues
    .map((issue) =>
      issue.path.length ? `${issue.path.join(".")}: ${issue.message}` : issue.message,
    )
    .join("; ");
}

/** Every domain error becomes the matching tRPC error here, once; invalid input gets a one-line message. */
const mapErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (result.ok) return result;
  const { error } = result;
  if (error.code === "BAD_REQUEST" && error.cause instanceof ZodError) {
    // Zod's messages already name the field and the rule; one line is easier to show than a JSON tree.
    throw new TRPCError({
      code: "BAD_REQUEST",
      message: formatZodMessage(error.cause),
      cause: error.cause,
    });
  }
  const mapped = toTRPCError(error.cause ?? error);
  if (mapped instanceof TRPCError) throw mapped;
  return result;
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
export const publicProcedure = t.procedure.use(mapErrors);

export const protectedProcedure = publicProcedure.use(async ({ ctx, next }) => {
  const auth = await ctx.getAuth();
  if ("error" in auth) throw toTRPCError(auth.error);
  return next({ ctx: { ...ctx, actor: auth.actor } });
});
