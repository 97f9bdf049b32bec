import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TInferenceServer } from "../src/index";
import { readSamples, request, startFixture } from "./helpers";

const TOKEN = "replica-token-0123456789abcdef";
const iris = readSamples("iris-logreg");
const v2Body = JSON.stringify({
  inputs: [{ name: "input", shape: [1, 4], datatype: "FP32", data: iris.inputs[0] }],
});
const v1Body = JSON.stringify({ instances: iris.inputs.slice(0, 1) });

/** Every route the server has, plus paths it does not have (a 401 must not reveal which). */
const ENDPOINTS: { method: string; path: string; body?: string; status: number }[] = [
  { method: "GET", path: "/v2/health/live", status: 200 },
  { method: "GET", path: "/v2/health/ready", status: 200 },
  { method: "GET", path: "/v2", status: 200 },
  { method: "GET", path: "/v2/", status: 200 },
  { method: "GET", path: "/v2/models", status: 200 },
  { method: "GET", path: "/v2/models/iris", status: 200 },
  { method: "GET", path: "/v2/models/iris/ready", status: 200 },
  { method: "GET", path: "/v2/models/iris/config", status: 200 },
  { method: "GET", path: "/v2/models/iris/stats", status: 200 },
  { method: "GET", path: "/v2/models/iris/versions/1", status: 200 },
  { method: "GET", path: "/v2/models/iris/versions/1/ready", status: 200 },
  { method: "GET", path: "/v2/models/iris/versions/1/config", status: 200 },
  { method: "GET", path: "/v2/models/iris/versions/1/stats", status: 200 },
  { method: "POST", path: "/v2/models/iris/infer", body: v2Body, status: 200 },
  { method: "POST", path: "/v2/models/iris/versions/1/infer", body: v2Body, status: 200 },
  { method: "GET", path: "/v1/models", status: 200 },
  { method: "GET", path: "/v1/models/iris", status: 200 },
  { method: "POST", path: "/v1/models/iris:predict", body: v1Body, status: 200 },
  { method: "POST", path: "/predict", body: v1Body, status: 200 },
  { method: "GET", path: "/health", status: 200 },
  { method: "GET", path: "/metrics", status: 200 },
  { method: "HEAD", path: "/v2/health/ready", status: 200 },
  { method: "GET", path: "/v2/models/other", status: 404 },
  { method: "GET", path: "/no/such/path?x=1", status: 404 },
  { method: "DELETE", path: "/v2/models/iris", status: 405 },
];

function send(
  url: string,
  endpoint: (typeof ENDPOINTS)[number],
  authorization?: string,
): Promise<{ status: number; text: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (authorization !== undefined) headers.authorization = authorization;
    const req = httpRequest(
      `${url}${endpoint.path}`,
      { method: endpoint.method, headers },
      (res) => {
        let text = "";
        res.on("data", (chunk: Buffer) => (text += chunk.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text, headers: res.headers }));
      },
    );
    req.on("error", reject);
    req.end(endpoint.body);
  });
}

const WRONG = [
  { what: "no Authorization header", header: undefined },
  { what: "an empty header", header: "" },
  { what: "the token without a scheme", header: TOKEN },
  { what: "another scheme", header: `Basic ${TOKEN}` },
  { what: "a wrong token of the same length", header: `Bearer ${TOKEN.slice(0, -1)}x` },
  { what: "a prefix of the token", header: `Bearer ${TOKEN.slice(0, 8)}` },
  { what: "the token with extra characters", header: `Bearer ${TOKEN}x` },
  { what: "two spaces after the scheme", header: `Bearer  ${TOKEN}` },
  { what: "the token in upper case", header: `Bearer ${TOKEN.toUpperCase()}` },
];

describe("--auth-token", () => {
  let server: TInferenceServer;
  beforeAll(async () => {
    server = await startFixture("iris-logreg", { name: "iris", authToken: TOKEN });
  });
  afterAll(() => server.close());

  it.each(WRONG)(
    "refuses every endpoint with $what: 401, one message, no detail",
    async ({ header }) => {
      for (const endpoint of ENDPOINTS) {
        const reply = await send(server.url, endpoint, header);
        expect([endpoint.path, reply.status]).toEqual([endpoint.path, 401]);
        if (endpoint.method !== "HEAD") {
          expect(JSON.parse(reply.text)).toEqual({ error: "missing or invalid replica token" });
        }
        expect(reply.headers["www-authenticate"]).toMatch(/^Bearer /);
        expect(reply.headers.connection).toBe("close");
      }
    },
  );

  it("serves every endpoint with the right token (the scheme in any case)", async () => {
    for (const [i, endpoint] of ENDPOINTS.entries()) {
      const scheme = i % 2 === 0 ? "Bearer" : "bearer";
      const reply = await send(server.url, endpoint, `${scheme} ${TOKEN}`);
      expect([endpoint.path, reply.status]).toEqual([endpoint.path, endpoint.status]);
    }
  });

  it("counts refused requests in requests_total with code 401", async () => {
    const metrics = await send(
      server.url,
      { method: "GET", path: "/metrics", status: 200 },
      `Bearer ${TOKEN}`,
    );
    expect(metrics.text).toMatch(/^requests_total\{protocol="v2",code="401",.*\} \d+$/m);
    expect(metrics.text).toMatch(/^requests_total\{protocol="predict",code="401",.*\} \d+$/m);
  });

  it("answers a large unauthenticated upload with 401 and hangs up instead of reading it", async () => {
    const small = await startFixture("iris-logreg", { name: "iris", authToken: TOKEN });
    try {
      const chunk = Buffer.alloc(256 * 1024, 0x20);
      let written = 0;
      const outcome = await new Promise<{ status: number; isCut: boolean }>((resolve) => {
        let status = 0;
        const req = httpRequest(`${small.url}/predict`, {
          method: "POST",
          headers: { "content-type": "application/json", "transfer-encoding": "chunked" },
        });
        req.on("response", (res) => {
          status = res.statusCode ?? 0;
          res.resume();
        });
        req.on("error", () => resolve({ status, isCut: true }));
        req.on("close", () => resolve({ status, isCut: written < 256 * 1024 * 1024 }));
        const pump = () => {
          while (written < 256 * 1024 * 1024) {
            written += chunk.length;
            if (!req.write(chunk)) return void req.once("drain", pump);
          }
          req.end();
        };
        pump();
      });
      expect(outcome.status).toBe(401);
      // the server hung up long before the client's 256 MiB were sent
      expect(outcome.isCut).toBe(true);
      expect(written).toBeLessThan(64 * 1024 * 1024);
    } finally {
      await small.close();
    }
  });

  it("accepts the token alone in X-KubeServe-Token when there is no Authorization header", async () => {
    const infer = ENDPOINTS.find((e) => e.path === "/v2/models/iris/infer")!;
    const withHeader = (value: string) =>
      new Promise<number>((resolve, reject) => {
        const req = httpRequest(
          `${server.url}${infer.path}`,
          {
            method: "POST",
            headers: { "content-type": "application/json", "x-kubeserve-token": value },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on("error", reject);
        req.end(infer.body);
      });
    expect(await withHeader(TOKEN)).toBe(200);
    for (const wrong of [`Bearer ${TOKEN}`, `${TOKEN.slice(0, -1)}x`, TOKEN.slice(0, 8), ""]) {
      expect([wrong, await withHeader(wrong)]).toEqual([wrong, 401]);
    }
  });

  it("with --public-health answers only the two health paths without the token", async () => {
    const probed = await startFixture("iris-logreg", {
      name: "iris",
      authToken: TOKEN,
      publicHealth: "true",
    });
    try {
      for (const endpoint of ENDPOINTS) {
        const reply = await send(probed.url, endpoint);
        const isOpen = ["/v2/health/live", "/v2/health/ready"].includes(endpoint.path);
        expect([endpoint.method, endpoint.path, reply.status]).toEqual([
          endpoint.method,
          endpoint.path,
          isOpen ? endpoint.status : 401,
        ]);
      }
    } finally {
      await probed.close();
    }
  });

  it("stays open when no token is configured", async () => {
    const open = await startFixture("iris-logreg", { name: "iris" });
    try {
      expect((await request(`${open.url}/v2/health/ready`)).status).toBe(200);
    } finally {
      await open.close();
    }
  });

  it("rejects a token too short or with spaces at start-up, without echoing it", async () => {
    for (const authToken of ["short", "has a space in the middle!"]) {
      await expect(startFixture("iris-logreg", { authToken })).rejects.toThrow(
        /KUBESERVE_AUTH_TOKEN \(--auth-token\): at least 16 printable ASCII characters/,
      );
      await expect(startFixture("iris-logreg", { authToken })).rejects.not.toThrow(authToken);
    }
  });
});
