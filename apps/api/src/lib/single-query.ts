import {
  callTRPCProcedure,
  getErrorShape,
  getTRPCErrorFromUnknown,
  transformTRPCResponse,
  type TRPCError,
} from "@trpc/server";
import { getHTTPStatusCode } from "@trpc/server/http";
import type { TContext } from "../context";
import { appRouter } from "../routers";
import { toDomainError } from "./errors";

export type TSingleQueryAnswer = {
  status: number;
  body: string;
  headers: Record<string, string | string[]>;
};

type TSingleQuery = {
  path: string;
  /** The `input` query parameter as sent (JSON), or undefined when there is none. */
  rawInput: string | undefined;
  ctx: TContext;
  onError: (error: TRPCError, path: string) => void;
};

/**
 * Answers one non-batched GET query the way tRPC's fetch adapter does (same procedure call, error shape,
 * status and body), without its web Request, Headers, stream and AbortSignal.any per call, which cost more
 * CPU than the model hub's list query itself. Anything else (unknown paths, mutations, unparsable input)
 * returns undefined and goes through the adapter, which owns those answers.
 */
export async function answerSingleQuery(
  query: TSingleQuery,
): Promise<TSingleQueryAnswer | undefined> {
  const { path, rawInput, ctx } = query;
  // A flat record keyed by the full path ("model.list").
  const procedures = appRouter._def.procedures as unknown as Record<
    string,
    { _def: { type: string } }
  >;
  const procedure = Object.hasOwn(procedures, path) ? procedures[path] : undefined;
  if (procedure?._def.type !== "query") return undefined;
  let input: unknown;
  if (rawInput !== undefined) {
    try {
      input = JSON.parse(rawInput);
    } catch {
      return undefined;
    }
  }
  const config = appRouter._def._config;
  const headers: Record<string, string | string[]> = { "content-type": "application/json" };
  if (ctx.response.cookies.length > 0) headers["set-cookie"] = ctx.response.cookies;
  try {
    const data: unknown = await callTRPCProcedure({
      router: appRouter,
      path,
      getRawInput: () => Promise.resolve(input),
      ctx,
      type: "query",
      signal: undefined,
      batchIndex: 0,
    });
    const body = JSON.stringify(transformTRPCResponse(config, { result: { data } }));
    return { status: 200, body, headers };
  } catch (cause) {
    const error = getTRPCErrorFromUnknown(cause);
    query.onError(error, path);
    const response = { error: getErrorShape({ config, ctx, error, input, path, type: "query" }) };
    const retryAfter = toDomainError(error.cause)?.details.retryAfterSeconds;
    if (retryAfter) headers["retry-after"] = String(retryAfter);
    return {
      status: getHTTPStatusCode(response),
      body: JSON.stringify(transformTRPCResponse(config, response)),
      headers,
    };
  }
}
