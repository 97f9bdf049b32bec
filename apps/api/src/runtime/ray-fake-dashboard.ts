import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { isDeepStrictEqual } from "node:util";

// A stand-in Ray dashboard for the ray driver's tests, written from Ray's Serve REST API docs.
// DOES: GET /api/serve/applications/ (ServeInstanceDetails: proxy_location, http_options, applications
// keyed by name with status, message, deployed_app_config, source, deployments with replicas); PUT with a
// ServeDeploySchema that REPLACES every application, as Ray does (absent ones go DELETING then away, new
// or changed ones DEPLOYING then RUNNING or DEPLOY_FAILED after `deployMs`, unchanged ones untouched);
// rejects what Ray's schema rejects (duplicate names or route prefixes, a prefix not starting with '/'
// or ending with '/', num_replicas together with autoscaling_config) with 400; imperative applications
// (serve.run: deployed_app_config null); injected failures or delays for the next N calls; changes "by
// someone else" through `state`. It records every request body.
// DOES NOT: run code, check import paths, runtime_env, resources, or authentication (Ray has none).

type TApp = {
  config: Record<string, unknown> | null;
  status: string;
  message: string;
  source: "declarative" | "imperative";
  timer?: NodeJS.Timeout;
};

type TFault = { method?: string; status?: number; delayMs?: number; times: number };

export type TFakeRayDashboard = Awaited<ReturnType<typeof startFakeRayDashboard>>;

export async function startFakeRayDashboard(options: { deployMs?: number } = {}) {
  const deployMs = options.deployMs ?? 30;
  const apps = new Map<string, TApp>();
  const puts: Array<Record<string, unknown>> = [];
  const afterPut: Array<() => void> = [];
  const faults: TFault[] = [];
  const deployFailures = new Map<string, string>();
  const cluster = { proxy_location: "EveryNode", http_options: { host: "0.0.0.0", port: 8000 } };
  let gets = 0;

  function settle(name: string, app: TApp): void {
    clearTimeout(app.timer);
    app.timer = setTimeout(() => {
      if (app.status === "DELETING") {
        apps.delete(name);
        return;
      }
      const failure = deployFailures.get(name);
      app.status = failure ? "DEPLOY_FAILED" : "RUNNING";
      app.message = failure ?? "";
    }, deployMs);
  }

  function replicasOf(app: TApp) {
    const deployments = (app.config?.deployments ?? [{ name: "Imperative" }]) as Array<{
      name: string;
      num_replicas?: number;
      autoscaling_config?: { min_replicas?: number };
    }>;
    return Object.fromEntries(
      deployments.map((d) => {
        const count = d.num_replicas ?? d.autoscaling_config?.min_replicas ?? 1;
        const state = app.status === "RUNNING" ? "RUNNING" : "STARTING";
        return [
          d.name,
          {
            name: d.name,
            status: app.status === "RUNNING" ? "HEALTHY" : "UPDATING",
            message: "",
            target_num_replicas: count,
            replicas: Array.from({ length: count }, (_, i) => ({
              replica_id: `${d.name}-${i}`,
              state,
              pid: 1000 + i,
              start_time_s: 1,
            })),
          },
        ];
      }),
    );
  }

  function details() {
    return {
      controller_info: { node_id: "fake" },
      ...cluster,
      deploy_mode: "MULTI_APP",
      applications: Object.fromEntries(
        [...apps].map(([name, app]) => [
          name,
          {
            name,
            route_prefix: (app.config?.route_prefix as string | undefined) ?? `/${name}`,
            docs_path: null,
            status: app.status,
            message: app.message,
            last_deployed_time_s: 1,
            deployed_app_config: app.config,
            source: app.source,
            deployments: replicasOf(app),
          },
        ]),
      ),
    };
  }

  function validate(body: { applications?: unknown }): string | undefined {
    if (!Array.isArray(body.applications)) return "applications must be a list";
    const names = new Set<string>();
    const prefixes = new Set<string>();
    for (const app of body.applications as Array<Record<string, unknown>>) {
      const name = typeof app.name === "string" ? app.name : "default";
      if (names.has(name)) return `Found multiple applications with the name ${name}`;
      names.add(name);
      const prefix = app.route_prefix;
      if (typeof prefix === "string") {
        if (!prefix.startsWith("/")) return `route_prefix "${prefix}" must start with "/"`;
        if (prefix.length > 1 && prefix.endsWith("/"))
          return `route_prefix "${prefix}" cannot end with "/" unless it's the root`;
        if (prefixes.has(prefix)) return `Found multiple applications with route prefix ${prefix}`;
        prefixes.add(prefix);
      }
      if (typeof app.import_path !== "string") return "import_path is required";
      for (const d of (app.deployments ?? []) as Array<Record<string, unknown>>) {
        if (d.num_replicas !== undefined && d.autoscaling_config !== undefined)
          return "Manually setting num_replicas is not allowed when autoscaling_config is provided";
      }
    }
    return undefined;
  }

  function replace(body: { applications: Array<Record<string, unknown>> }): void {
    const wanted = new Map(body.applications.map((app) => [String(app.name ?? "default"), app]));
    for (const [name, app] of apps) {
      if (!wanted.has(name) && app.status !== "DELETING") {
        app.status = "DELETING";
        app.message = "";
        settle(name, app);
      }
    }
    for (const [name, config] of wanted) {
      const existing = apps.get(name);
      if (existing && existing.status !== "DELETING" && isDeepStrictEqual(existing.config, config))
        continue;
      const app: TApp = { config, status: "DEPLOYING", message: "", source: "declarative" };
      if (existing) clearTimeout(existing.timer);
      apps.set(name, app);
      settle(name, app);
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString();
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(typeof body === "string" ? body : JSON.stringify(body));
    };
    if (req.url !== "/api/serve/applications/") return send(404, { detail: "Not Found" });
    const fault = faults.find((f) => !f.method || f.method === req.method);
    if (fault) {
      fault.times -= 1;
      if (fault.times <= 0) faults.splice(faults.indexOf(fault), 1);
      if (fault.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
      if (fault.status) return send(fault.status, `fake dashboard: injected ${fault.status}`);
    }
    if (req.method === "GET") {
      gets += 1;
      return send(200, details());
    }
    if (req.method === "PUT") {
      const body = JSON.parse(text) as { applications: Array<Record<string, unknown>> };
      puts.push(body);
      const problem = validate(body);
      if (problem) return send(400, problem);
      replace(body);
      const after = afterPut.shift();
      after?.();
      return send(200, "");
    }
    return send(405, { detail: "Method Not Allowed" });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      res.writeHead(500);
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    puts,
    getCount: () => gets,
    /** Another team's application, deployed declaratively (already RUNNING). */
    addOther(config: Record<string, unknown>): void {
      apps.set(String(config.name), {
        config,
        status: "RUNNING",
        message: "",
        source: "declarative",
      });
    },
    /** A `serve.run` application: no deployed_app_config. */
    addImperative(name: string): void {
      apps.set(name, { config: null, status: "RUNNING", message: "", source: "imperative" });
    },
    /** Someone else's PUT or `serve delete`: drops an application at once. */
    drop(name: string): void {
      clearTimeout(apps.get(name)?.timer);
      apps.delete(name);
    },
    /** Runs `change` right after the next accepted PUT: another writer racing ours (Ray has no CAS). */
    afterNextPut(change: () => void): void {
      afterPut.push(change);
    },
    failDeploy(name: string, message: string): void {
      deployFailures.set(name, message);
    },
    fail(fault: TFault): void {
      faults.push(fault);
    },
    app: (name: string) => apps.get(name),
    close: async () => {
      for (const app of apps.values()) clearTimeout(app.timer);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
