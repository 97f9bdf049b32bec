"use server";

import { createApiClient } from "@kubeserve/api";
import { readWebConfig } from "~/config";
import { readApiProblem } from "~/lib/api-error";
import { readClientAddress } from "~/server/client-address";

export type TRegisterResult =
  { ok: true } | { ok: false; message: string; fieldErrors: Record<string, string> };

/** Creates the account through the API; the page then signs in with the same credentials. */
export async function registerAccount(input: {
  name: string;
  email: string;
  password: string;
}): Promise<TRegisterResult> {
  const api = createApiClient({
    url: readWebConfig().apiUrl,
    forwardedFor: await readClientAddress(),
  });
  try {
    await api.auth.register.mutate({
      email: input.email,
      password: input.password,
      ...(input.name.trim() ? { name: input.name } : {}),
    });
    return { ok: true };
  } catch (error) {
    const problem = readApiProblem(error);
    return { ok: false, message: problem.message, fieldErrors: problem.fieldErrors };
  }
}
