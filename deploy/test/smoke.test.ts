import { spawn } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEPLOY_DIR } from "./helpers";

// deploy/scripts/smoke.sh against a stand-in stack: one local HTTP server answering each endpoint the
// way the real service does (API /healthz and /readyz bodies, Prometheus' query API, Grafana's health
// and dashboard API, Ray's Serve REST API and proxy health). Any endpoint can be made to fail.

const down = new Set<string>();
const routes: Record<string, { status: number; body: string }> = {
  "/healthz": { status: 200, body: '{"status":"ok"}' },
  "/readyz": { status: 200, body: '{"status":"ready"}' },
  "/": { status: 200, body: "<html>KubeServe</html>" },
  "/-/ready": { status: 200, body: "Prometheus Server is Ready." },
  "/api/v1/query": {
    status: 200,
    body: '{"status":"success","data":{"resultType":"vector","result":[{"metric":{"job":"kubeserve-api"},"value":[1,"1"]}]}}',
  },
  "/api/health": { status: 200, body: '{"database":"ok","version":"11.6.0"}' },
  "/api/dashboards/uid/kubeserve-platform": {
    status: 200,
    body: '{"dashboard":{"uid":"kubeserve-platform"}}',
  },
  "/api/dashboards/uid/kubeserve-deployment": {
    status: 200,
    body: '{"dashboard":{"uid":"kubeserve-deployment"}}',
  },
  "/api/serve/applications/": { status: 200, body: '{"applications":{}}' },
  "/-/healthz": { status: 200, body: "success" },
};

let server: Server;
let base = "";

function smoke(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn("bash", [path.join(DEPLOY_DIR, "scripts/smoke.sh"), ...args], {
      env: {
        PATH: process.env.PATH ?? "",
        API_URL: base,
        WEB_URL: base,
        PROMETHEUS_URL: base,
        GRAFANA_URL: base,
        ...env,
      },
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("exit", (code) => resolve({ code, output }));
  });
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const pathname = new URL(req.url ?? "/", "http://x").pathname;
    const route = routes[pathname];
    if (!route || down.has(pathname)) {
      res.writeHead(route ? 503 : 404, { "content-type": "application/json" });
      res.end('{"status":"unavailable"}');
      return;
    }
    res.writeHead(route.status, { "content-type": "application/json" });
    res.end(route.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("deploy/scripts/smoke.sh", () => {
  it("passes when every endpoint answers", async () => {
    const { code, output } = await smoke([]);
    expect(output).toContain("all checks passed");
    expect(output.match(/^ok /gm)).toHaveLength(8);
    expect(code).toBe(0);
  });

  it("fails and names the endpoint when the API is not ready", async () => {
    down.add("/readyz");
    try {
      const { code, output } = await smoke([]);
      expect(code).toBe(1);
      expect(output).toMatch(/^FAIL {2}api readiness: .*\/readyz/m);
      expect(output).toContain("1 check(s) failed");
    } finally {
      down.delete("/readyz");
    }
  });

  it("checks Ray's Serve REST API and proxy with --ray", async () => {
    const env = { RAY_CHECK: "direct", RAY_DASHBOARD_URL: base, RAY_SERVE_URL: base };
    const ok = await smoke(["--ray"], env);
    expect(ok.output).toContain("ok    ray dashboard (Serve REST API)");
    expect(ok.output).toContain("ok    ray serve proxy");
    expect(ok.code).toBe(0);
    down.add("/-/healthz");
    try {
      const failed = await smoke(["--ray"], env);
      expect(failed.code).toBe(1);
      expect(failed.output).toMatch(/^FAIL {2}ray serve proxy/m);
    } finally {
      down.delete("/-/healthz");
    }
  });

  it("fails when nothing is listening at all", async () => {
    const { code, output } = await smoke([], {
      API_URL: "http://127.0.0.1:9",
      WEB_URL: "http://127.0.0.1:9",
      PROMETHEUS_URL: "",
      GRAFANA_URL: "",
      SMOKE_TIMEOUT: "2",
    });
    expect(code).toBe(1);
    expect(output).toContain("3 check(s) failed");
  });
});
