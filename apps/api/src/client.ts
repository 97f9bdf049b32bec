import { createTRPCClient, httpBatchLink, TRPCClientError } from "@trpc/client";
import type { AppRouter } from "./routers";

export type TApiClientOptions = {
  /** Base URL of the API, e.g. http://127.0.0.1:4000 */
  url: string;
  /** An access token or an API key; a function is called per request (tokens that change). */
  token?: string | (() => string | undefined);
};

/** A fully typed client for scripts and other services: `await api.model.list.query({})`. */
export function createApiClient(options: TApiClientOptions) {
  return createTRPCClient<AppRouter>({
    links: [
      httpBatchLink({
        url: `${options.url.replace(/\/$/, "")}/trpc`,
        headers: () => {
          const token = typeof options.token === "function" ? options.token() : options.token;
          return token ? { authorization: `Bearer ${token}` } : {};
        },
      }),
    ],
  });
}

export type TApiClient = ReturnType<typeof createApiClient>;
export { TRPCClientError };
