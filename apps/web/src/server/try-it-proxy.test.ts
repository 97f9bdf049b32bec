import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";

// A fake gateway with the real one's ownership rule: a deployment that is not the caller's is a 404.
type TSeen = { url: string; headers: IncomingMessage["headers"]; body: string };
const seen: TSeen[] = [];
const aliceDeployment = "0b7c9a52-0000-4000-8000-000000000001";
const bobDeployment = "0b7c9a52-0000-4000-8000-000000000002";
let server: Server;
let apiUrl = "";
let session: { accessToken: string; userId: string; email: string } | undefined;

vi.mock("~/config", () => ({ readWebConfig: () => ({ apiUrl }) }));
vi.mock("./api-session", () => ({ readApiSession: async () => session }));

const { proxyTryIt } = await import("./try-it-proxy");

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      seen.push({ url: req.url ?? "", headers: req.headers, body });
      const isAlice = req.headers.authorization === "Bearer alice-token";
      if (isAlice && req.url?.startsWith(`/api/v1/deployments/${aliceDeployment}/`)) {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ model_name: "iris", outputs: [{ name: "label", data: [0] }] }));
      } else {
        res.writeHead(404, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { code: "NOT_FOUND", message: "Deployment not found" } }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  seen.length = 0;
  session = { accessToken: "alice-token", userId: "alice", email: "alice@example.com" };
});

const ownPage = {
  origin: "http://localhost:3000",
  host: "localhost:3000",
  "sec-fetch-site": "same-origin",
  "content-type": "application/json",
};
const body = JSON.stringify({
  inputs: [{ name: "x", shape: [1, 4], datatype: "FP32", data: [1] }],
});

function request(id: string, headers: Record<string, string>, text = body, method = "POST") {
  return {
    method,
    url: `http://localhost:3000/api/try/${id}?model=iris`,
    headers: new Headers(headers),
    text: async () => text,
  };
}

describe("proxyTryIt", () => {
  it("sends the body to the gateway's V2 infer path as the signed-in user and times it", async () => {
    const response = await proxyTryIt(request(aliceDeployment, ownPage), aliceDeployment);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ model_name: "iris" });
    expect(Number(response.headers.get("x-upstream-ms"))).toBeGreaterThan(0);
    expect(seen[0]?.url).toBe(`/api/v1/deployments/${aliceDeployment}/v2/models/iris/infer`);
    expect(seen[0]?.headers.authorization).toBe("Bearer alice-token");
    expect(seen[0]?.body).toBe(body);
  });

  it("passes on the gateway's 404 for another user's deployment", async () => {
    const response = await proxyTryIt(request(bobDeployment, ownPage), bobDeployment);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { message: "Deployment not found" } });
  });

  it("refuses anonymous and cross-site callers without reaching the API", async () => {
    session = undefined;
    expect((await proxyTryIt(request(aliceDeployment, ownPage), aliceDeployment)).status).toBe(401);
    session = { accessToken: "alice-token", userId: "alice", email: "a" };
    const evil = { ...ownPage, origin: "https://evil.example", "sec-fetch-site": "cross-site" };
    expect((await proxyTryIt(request(aliceDeployment, evil), aliceDeployment)).status).toBe(403);
    const noOrigin = { host: "localhost:3000", "content-type": "application/json" };
    expect((await proxyTryIt(request(aliceDeployment, noOrigin), aliceDeployment)).status).toBe(
      403,
    );
    expect(seen).toHaveLength(0);
  });

  it("names bad input: method, media type, id, model and JSON", async () => {
    const get = request(aliceDeployment, ownPage, body, "GET");
    expect((await proxyTryIt(get, aliceDeployment)).status).toBe(405);
    const text = request(aliceDeployment, { ...ownPage, "content-type": "text/plain" });
    expect((await proxyTryIt(text, aliceDeployment)).status).toBe(415);
    expect((await proxyTryIt(request("../../trpc", ownPage), "../../trpc")).status).toBe(404);
    const broken = await proxyTryIt(request(aliceDeployment, ownPage, "{nope"), aliceDeployment);
    expect(broken.status).toBe(400);
    expect(await broken.json()).toEqual({
      error: { code: "BAD_REQUEST", message: "The request body is not valid JSON" },
    });
    const badModel = { ...request(aliceDeployment, ownPage), url: "http://x/api/try/a?model=../x" };
    expect((await proxyTryIt(badModel, aliceDeployment)).status).toBe(400);
    expect(seen).toHaveLength(0);
  });
});
