import { initTRPC, TRPCError } from "@trpc/server";
import { ZodError } from "zod";
import type { TContext } from "./context";
import { internalErrorMessage, toDomainError, toTRPCError } from "./lib/errors";

const t = initTRPC.context<TContext>().create({
  errorFormatter({ shape, error, ctx }) {
    const domain = toDomainError(error.cause);
    const zod =
      error.code === "BAD_REQUEST" && error.cause instanceof ZodError ? error.cause : undefined;
    const requestId = ctx?.request.requestId ?? "unknown";
    let message = shape.message;
    // The last guard: whatever failed unexpectedly, its text (a database's, a library's) stays in the log.
    if (error.code === "INTERNAL_SERVER_ERROR") message = internalErrorMessage(requestId);
    return {
      ...shape,
      message,
      data: {
        ...shape.data,
        // Stack traces stay in logs.
        stack: undefined,
        requestId,
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

// Errors already logged with their cause, so the HTTP layer does not log them twice.
const reportedErrors = new WeakSet<TRPCError>();

export function isReportedError(error: TRPCError): boolean {
  return reportedErrors.has(error);
}

/**
 * Every error leaves a procedure here, once: domain and known database errors become their tRPC code,
 * invalid input a one-line message, and anything else a generic 500 naming the request id, logged in full.
 */
const mapErrors = t.middleware(async ({ ctx, path, next }) => {
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
  const cause = error.cause ?? error;
  const domain = toDomainError(cause);
  if (domain) throw new TRPCError({ code: domain.code, message: domain.message, cause: domain });
  // tRPC's own client errors (unknown procedure, wrong method) say nothing about internals.
  if (error.code !== "INTERNAL_SERVER_ERROR") return result;
  ctx.deps.log.error(
    { err: cause, path, requestId: ctx.request.requestId },
    "tRPC procedure failed",
  );
  const internal = new TRPCError({
    code: "INTERNAL_SERVER_ERROR",
    message: internalErrorMessage(ctx.request.requestId),
    cause,
  });
  reportedErrors.add(internal);
  throw internal;
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
export const publicProcedure = t.procedure.use(mapErrors);

export const protectedProcedure = publicProcedure.use(async ({ ctx, next }) => {
  const auth = await ctx.getAuth();
  if ("error" in auth) throw toTRPCError(auth.error);
  if (auth.actor.apiKeyKind === "predict") {
    // A leaked prediction key must not mint keys or read the registry.
    throw new TRPCError({
      code: "FORBIDDEN",
      message:
        "This is a prediction key: it works on the prediction gateway only, not the management API",
    });
  }
  return next({ ctx: { ...ctx, actor: auth.actor } });
});
