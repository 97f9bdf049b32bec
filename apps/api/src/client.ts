import { createTRPCClient, httpBatchLink, TRPCClientError } from "@trpc/client";
import { deviceCookieName } from "./lib/cookie-names";
import type { AppRouter } from "./routers";

export type TApiClientOptions = {
  /** Base URL of the API, e.g. http://127.0.0.1:4000 */
  url: string;
  /** An access token or an API key; a function is called per request (tokens that change). */
  token?: string | (() => string | undefined);
  /**
   * The device token an earlier login of this client received (see `onDeviceToken`). Logins that send
   * it are spared an account lockout that other clients caused.
   */
  deviceToken?: string;
  /** Called with each new device token a successful login hands out, to keep it across runs. */
  onDeviceToken?: (token: string) => void;
  /**
   * For a server calling on behalf of someone (the dashboard): their address, sent as X-Forwarded-For so
   * per-IP limits count them and not the server. The API believes it only from hops TRUST_PROXY names.
   */
  forwardedFor?: string;
  /** Calls per HTTP request; keep it at or below the server's TRPC_MAX_BATCH_SIZE (default 20). */
  maxBatchSize?: number;
};

const deviceCookiePrefix = `${deviceCookieName}=`;

/** A fully typed client for scripts and other services: `await api.model.list.query({})`. */
export function createApiClient(options: TApiClientOptions) {
  // The client's equivalent of a browser's cookie jar, for the one cookie the API sets.
  let deviceToken = options.deviceToken;
  return createTRPCClient<AppRouter>({
    links: [
      httpBatchLink({
        url: `${options.url.replace(/\/$/, "")}/trpc`,
        maxItems: options.maxBatchSize ?? 20,
        headers: () => {
          const token = typeof options.token === "function" ? options.token() : options.token;
          return {
            ...(token ? { authorization: `Bearer ${token}` } : {}),
            ...(deviceToken ? { cookie: `${deviceCookiePrefix}${deviceToken}` } : {}),
            ...(options.forwardedFor ? { "x-forwarded-for": options.forwardedFor } : {}),
          };
        },
        fetch: async (input, init) => {
          const response = await fetch(input, init);
          for (const cookie of response.headers.getSetCookie()) {
            const value = cookie.split(";")[0] ?? "";
            if (value.startsWith(deviceCookiePrefix)) {
              deviceToken = value.slice(deviceCookiePrefix.length);
              options.onDeviceToken?.(deviceToken);
            }
          }
          return response;
        },
      }),
    ],
  });
}

export type TApiClient = ReturnType<typeof createApiClient>;
export { TRPCClientError };
