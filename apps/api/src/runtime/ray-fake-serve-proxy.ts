import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";

// A stand-in for Ray Serve's HTTP proxy (:8000) in tests, written from Ray's docs: it learns the routes
// from the Serve REST API (the fake dashboard's GET /api/serve/applications/), sends each request to
// the RUNNING application with the longest matching route_prefix with the FULL path (Ray does not strip
// the prefix; the entry module does), and answers 404 for a path no application holds and 503 while the
// application is not RUNNING. The replica behind an application is any HTTP server the test registers;
// in front of it the proxy applies the entry module's own check (SHA-256 of X-KubeServe-Token against
// the application's args.token_sha256) and strips the prefix, as ray_replica.ReplicaHost.handle does.
// DOES NOT: balance across replicas, stream, run Python, or authenticate anything itself (Ray has none).

type TRecorded = { method: string; path: string; headers: IncomingMessage["headers"] };

type TApplication = {
  status: string;
  route_prefix: string | null;
  deployed_app_config: { args?: { token_sha256?: string } } | null;
};

export type TFakeServeProxy = Awaited<ReturnType<typeof startFakeServeProxy>>;

function isTokenValid(presented: string | string[] | undefined, expectedHex: string | undefined) {
  if (typeof presented !== "string" || !expectedHex || !/^[0-9a-f]{64}$/.test(expectedHex))
    return false;
  return timingSafeEqual(
    createHash("sha256").update(presented).digest(),
    Buffer.from(expectedHex, "hex"),
  );
}

export async function startFakeServeProxy(options: { dashboardUrl: string }) {
  const replicas = new Map<string, string>();
  const requests: TRecorded[] = [];

  async function routes(): Promise<Array<[string, TApplication]>> {
    const response = await fetch(`${options.dashboardUrl}/api/serve/applications/`);
    const details = (await response.json()) as { applications: Record<string, TApplication> };
    return Object.entries(details.applications)
      .filter(([, app]) => app.route_prefix)
      .sort(([, a], [, b]) => (b.route_prefix ?? "").length - (a.route_prefix ?? "").length);
  }

  const server = createServer((req, res) => {
    const send = (status: number, text: string) => {
      res.writeHead(status, { "content-type": "text/plain" });
      res.end(text);
    };
    const path = req.url ?? "/";
    requests.push({ method: req.method ?? "", path, headers: req.headers });
    void routes()
      .then((apps) => {
        const match = apps.find(([, app]) => {
          const prefix = app.route_prefix!;
          return path === prefix || path.startsWith(`${prefix}/`) || path.startsWith(`${prefix}?`);
        });
        if (!match)
          return send(404, `Path '${path}' not found. Ping http://.../-/routes for routes.`);
        const [name, app] = match;
        if (app.status !== "RUNNING") return send(503, `application ${name} is ${app.status}`);
        const token = req.headers["x-kubeserve-token"];
        if (!isTokenValid(token, app.deployed_app_config?.args?.token_sha256)) {
          res.writeHead(401, { "content-type": "application/json" });
          return res.end(JSON.stringify({ error: "missing or invalid replica token" }));
        }
        const replica = replicas.get(name);
        if (!replica) return send(503, `no replica of ${name} is registered with the fake proxy`);
        const stripped = path.slice(app.route_prefix!.length) || "/";
        const upstream = httpRequest(
          `${replica}${stripped.startsWith("/") ? stripped : `/${stripped}`}`,
          { method: req.method, headers: { ...req.headers, host: new URL(replica).host } },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        upstream.once("error", (error) => send(502, String(error)));
        req.pipe(upstream);
      })
      .catch((error: unknown) => send(500, String(error)));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    /** The server answering for an application (the replica behind Ray's proxy). */
    setReplica(applicationName: string, origin: string): void {
      replicas.set(applicationName, origin);
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
