import type { AppRouter } from "@kubeserve/api";
import { TRPCClientError } from "@trpc/client";
import { describe, expect, it } from "vitest";
import { isNotFound, isUnauthorized, readApiProblem } from "./api-error";

// The error as the tRPC client builds it from the API's JSON (shape from apps/api/src/trpc.ts).
function clientError(
  code: string,
  message: string,
  fieldErrors?: { path: string; message: string }[],
) {
  return TRPCClientError.from<AppRouter>({
    error: { code: -32600, message, data: { code, httpStatus: 400, requestId: "r1", fieldErrors } },
  });
}

describe("readApiProblem", () => {
  it("keeps the API's message and maps field errors by path", () => {
    const error = clientError("BAD_REQUEST", "password: Password must be 10–128 characters long", [
      { path: "password", message: "Password must be 10–128 characters long" },
    ]);
    expect(readApiProblem(error)).toEqual({
      code: "BAD_REQUEST",
      message: "password: Password must be 10–128 characters long",
      fieldErrors: { password: "Password must be 10–128 characters long" },
    });
  });

  it("says the API is unreachable instead of a browser's fetch wording", () => {
    expect(readApiProblem(new TypeError("Failed to fetch")).message).toMatch(
      /Could not reach the KubeServe API/,
    );
  });

  it("tells sessions the API refused and absent resources apart", () => {
    expect(isUnauthorized(clientError("UNAUTHORIZED", "Session expired"))).toBe(true);
    expect(isUnauthorized(clientError("FORBIDDEN", "No"))).toBe(false);
    expect(isNotFound(clientError("NOT_FOUND", "Model not found"))).toBe(true);
    expect(isNotFound(clientError("CONFLICT", "taken"))).toBe(false);
    expect(isUnauthorized(new Error("plain"))).toBe(false);
  });
});
