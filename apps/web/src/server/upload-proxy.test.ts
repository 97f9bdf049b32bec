import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";

// A fake API that records what the dashboard forwarded and answers like tus would.
type TSeen = { method: string; url: string; headers: IncomingMessage["headers"]; bytes: number };
const seen: TSeen[] = [];
let server: Server;
let apiUrl = "";
let session: { accessToken: string; userId: string; email: string } | undefined;

vi.mock("~/config", () => ({ readWebConfig: () => ({ apiUrl }) }));
vi.mock("./api-session", () => ({ readApiSession: async () => session }));

const { proxyUpload, readUploadLimit } = await import("./upload-proxy");

beforeAll(async () => {
  server = createServer((req, res) => {
    let bytes = 0;
    req.on("data", (chunk: Buffer) => (bytes += chunk.length));
    req.on("end", () => {
      seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, bytes });
      if (req.method === "OPTIONS") {
        res.writeHead(204, { "tus-max-size": "2147483648", "tus-resumable": "1.0.0" });
      } else if (req.method === "POST") {
        res.writeHead(201, { location: "/api/v1/uploads/abc123", "tus-resumable": "1.0.0" });
      } else {
        res.writeHead(204, { "upload-offset": String(bytes), "set-cookie": "x=1" });
      }
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  seen.length = 0;
  session = { accessToken: "ks_session_token", userId: "u1", email: "a@b.c" };
});

const ownPage = {
  origin: "http://localhost:3000",
  host: "localhost:3000",
  "sec-fetch-site": "same-origin",
};

function request(method: string, headers: Record<string, string>, body?: Uint8Array<ArrayBuffer>) {
  return {
    method,
    headers: new Headers(headers),
    body: body ? new Blob([body]).stream() : null,
  };
}

describe("proxyUpload", () => {
  it("creates an upload as the session's user and hands back the dashboard-relative Location", async () => {
    const response = await proxyUpload(
      request("POST", {
        ...ownPage,
        "upload-length": "10",
        "upload-metadata": "filename bS5vbm54",
        "tus-resumable": "1.0.0",
      }),
      undefined,
    );
    expect(response.status).toBe(201);
    expect(response.headers.get("location")).toBe("/api/v1/uploads/abc123");
    expect(seen[0]?.headers.authorization).toBe("Bearer ks_session_token");
    expect(seen[0]?.headers["upload-length"]).toBe("10");
    expect(seen[0]?.url).toBe("/api/v1/uploads");
  });

  it("streams a PATCH body to the API and returns only tus headers", async () => {
    const body = new Uint8Array(300_000).fill(7);
    const response = await proxyUpload(
      request(
        "PATCH",
        { ...ownPage, "upload-offset": "0", "content-type": "application/offset+octet-stream" },
        body,
      ),
      "abc123",
    );
    expect(response.status).toBe(204);
    expect(response.headers.get("upload-offset")).toBe("300000");
    expect(response.headers.get("set-cookie")).toBeNull();
    expect(seen[0]).toMatchObject({
      method: "PATCH",
      url: "/api/v1/uploads/abc123",
      bytes: 300_000,
    });
  });

  it("refuses anonymous visitors without calling the API", async () => {
    session = undefined;
    const response = await proxyUpload(request("PATCH", ownPage, new Uint8Array(3)), "abc123");
    expect(response.status).toBe(401);
    expect(seen).toHaveLength(0);
  });

  it("refuses another site's request, with or without an Origin header", async () => {
    const evil = {
      origin: "https://evil.example",
      host: "localhost:3000",
      "sec-fetch-site": "cross-site",
    };
    expect((await proxyUpload(request("POST", evil), undefined)).status).toBe(403);
    expect(
      (await proxyUpload(request("HEAD", { "sec-fetch-site": "cross-site" }), "abc123")).status,
    ).toBe(403);
    expect(
      (await proxyUpload(request("DELETE", { host: "localhost:3000" }), "abc123")).status,
    ).toBe(403);
    expect(seen).toHaveLength(0);
  });

  it("refuses other methods and malformed ids", async () => {
    expect((await proxyUpload(request("GET", ownPage), "abc123")).status).toBe(405);
    expect((await proxyUpload(request("PATCH", ownPage), undefined)).status).toBe(405);
    expect((await proxyUpload(request("PATCH", ownPage), "../../trpc")).status).toBe(404);
    expect(seen).toHaveLength(0);
  });

  it("reads the API's upload limit from its tus OPTIONS answer", async () => {
    expect(await readUploadLimit()).toBe(2_147_483_648);
  });
});

describe("proxyRequirements", () => {
  it("forwards requirements.txt as the session's user, refusing other sites and anonymous visitors", async () => {
    const { proxyRequirements } = await import("./upload-proxy");
    const text = new TextEncoder().encode("numpy==1.24\n");
    const ok = await proxyRequirements(
      request("PUT", ownPage, text),
      "0b7c9a52-0000-4000-8000-000000000001",
    );
    expect(ok.status).toBe(204);
    expect(seen[0]).toMatchObject({ method: "PUT", bytes: text.length });
    expect(seen[0]?.headers.authorization).toBe("Bearer ks_session_token");
    const evil = { origin: "https://evil.example", host: "localhost:3000" };
    expect((await proxyRequirements(request("PUT", evil, text), "v1")).status).toBe(403);
    session = undefined;
    expect((await proxyRequirements(request("PUT", ownPage, text), "v1")).status).toBe(401);
    expect(seen).toHaveLength(1);
  });
});
