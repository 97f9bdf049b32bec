import type { RequestOptions } from "node:https";
import type { K8sApi } from "@kubeserve/k8s";
import type { Logger } from "pino";
import type { TEndpointTls } from "./driver";

// How the gateway reaches a model Service from outside the cluster: through the API server's service
// proxy, with the kubeconfig's own credential (bearer token, client certificate, CA). The API server
// consumes Authorization, so the replica token travels in X-KubeServe-Token (apps/inference accepts it).

export const REPLICA_TOKEN_HEADER = "x-kubeserve-token";

export type TProxyCredentials = {
  /** Authorization (when the kubeconfig uses a token) and TLS options for the API server's origin. */
  current(): { headers: Record<string, string>; connect: TEndpointTls | undefined };
  /** Re-reads the credential (exec plugins and token files rotate); the driver calls it every minute. */
  refresh(): Promise<void>;
  stop(): void;
};

export function createProxyCredentials(api: K8sApi, log: Logger): TProxyCredentials {
  const staticToken = api.kubeConfig.getCurrentUser()?.token;
  let headers: Record<string, string> = staticToken
    ? { authorization: `Bearer ${staticToken}` }
    : {};
  let connect: TEndpointTls | undefined;
  const isHttps = api.server.startsWith("https://");

  async function refresh(): Promise<void> {
    const options: RequestOptions = { headers: {} };
    await api.kubeConfig.applyToHTTPSOptions(options);
    const given = (options.headers ?? {}) as Record<string, string | undefined>;
    const authorization = given.Authorization ?? given.authorization;
    headers = authorization ? { authorization } : {};
    connect = isHttps
      ? {
          ca: options.ca as string | Buffer | undefined,
          cert: options.cert as string | Buffer | undefined,
          key: options.key as string | Buffer | undefined,
          ...(options.rejectUnauthorized === undefined
            ? {}
            : { rejectUnauthorized: options.rejectUnauthorized }),
        }
      : undefined;
  }

  const timer = setInterval(() => {
    refresh().catch((error: unknown) =>
      log.warn({ err: error }, "refreshing the API server credential failed"),
    );
  }, 60_000);
  timer.unref();

  return {
    current: () => ({ headers, connect }),
    refresh,
    stop: () => clearInterval(timer),
  };
}
