import { request } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { TObject } from "./kubernetes-fake-paths";

// The fake API server's service proxy, from the API reference ("proxy" subresource of Service):
// `/api/v1/namespaces/{ns}/services/{name}[:{port}]/proxy/{path}` forwards method, path, query, headers
// and body to an endpoint of the Service. As the real server does, it answers 404 for an unknown Service,
// 503 "no endpoints available" when the named port is not a port of the Service or nothing backs it, and
// removes the caller's Authorization before forwarding (the API server's authentication filter consumes
// it). DOES NOT: check the credential (the fake records it), pick among several endpoints (one backend
// per Service, set by the test in place of the EndpointSlice controller), or pass binary bodies intact
// (bodies are read as text).

const proxyPattern =
  /^\/api\/v1\/namespaces\/([^/]+)\/services\/([^/:]+)(?::([^/]+))?\/proxy(\/.*)?$/;

export type TFakeServiceProxy = {
  /** Whether this path is a service-proxy path (the caller then lets `forward` answer). */
  matches(path: string): boolean;
  forward(req: IncomingMessage, res: ServerResponse, body: string, search: string): void;
  /** What stands behind a Service (an `http://host:port` origin), as its ready endpoints would. */
  setBackend(namespace: string, service: string, origin: string | undefined): void;
};

export function createFakeServiceProxy(options: {
  getService: (namespace: string, name: string) => TObject | undefined;
  sendStatus: (res: ServerResponse, code: number, reason: string, message: string) => void;
}): TFakeServiceProxy {
  const backends = new Map<string, string>();
  return {
    matches: (path) => proxyPattern.test(path),
    setBackend(namespace, service, origin) {
      if (origin === undefined) backends.delete(`${namespace}/${service}`);
      else backends.set(`${namespace}/${service}`, origin);
    },
    forward(req, res, body, search) {
      const [, namespace = "", name = "", port, rest = "/"] =
        proxyPattern.exec(new URL(req.url ?? "/", "http://fake").pathname) ?? [];
      const service = options.getService(namespace, name);
      if (!service) {
        return options.sendStatus(res, 404, "NotFound", `services "${name}" not found`);
      }
      const ports = ((service.spec as { ports?: Array<{ name?: string }> } | undefined)?.ports ??
        []) as Array<{ name?: string }>;
      const backend = backends.get(`${namespace}/${name}`);
      const isPortKnown = port === undefined || ports.some((p) => p.name === port);
      if (!backend || !isPortKnown) {
        return options.sendStatus(
          res,
          503,
          "ServiceUnavailable",
          `no endpoints available for service "${name}"`,
        );
      }
      const headers = { ...req.headers };
      delete headers.authorization;
      delete headers.host;
      const upstream = request(
        new URL(`${rest}${search}`, backend),
        { method: req.method, headers: { ...headers, "content-length": Buffer.byteLength(body) } },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on("error", (error) =>
        options.sendStatus(
          res,
          503,
          "ServiceUnavailable",
          `error trying to reach service: ${error.message}`,
        ),
      );
      upstream.end(body);
    },
  };
}
