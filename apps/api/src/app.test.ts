import { TRPCClientError } from "@trpc/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "@kubeserve/testing";
import { createArtifactStore } from "@kubeserve/storage";
import { createApiClient } from "./client";
import { createHarness, startHttp, type THarness, type THttpServer } from "./test/harness";

async function clientFailure(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    if (error instanceof TRPCClientError) {
      const data = error.data as { code: string; httpStatus: number };
      return { code: data.code, httpStatus: data.httpStatus, message: error.message };
    }
    throw error;
  }
  throw new Error("expected the call to fail");
}

describe("API over HTTP (PostgreSQL)", () => {
  let h: THarness;
  let server: THttpServer;
  let url: string;
  let httpRequests = 0;

  beforeAll(async () => {
    h = await createHarness("postgres", { LOGIN_MAX_FAILURES_PER_ACCOUNT: "2" });
    server = await startHttp(h);
    server.app.server.on("request", (req: { url?: string }) => {
      if (req.url?.startsWith("/trpc")) httpRequests++;
    });
    url = server.url;
  });
  afterAll(async () => {
    await server.close();
    await h.destroy();
  });

  it("register → login → model → versions → API key → use key → revoke → key rejected", async () => {
    const anon = createApiClient({ url });
    const email = "flow@example.com";
    const registered = await anon.auth.register.mutate({ email, password: "a long password" });
    expect(registered.user.email).toBe(email);

    const session = await anon.auth.login.mutate({
      email: "Flow@Example.com",
      password: "a long password",
    });
    const api = createApiClient({ url, token: session.accessToken });
    expect((await api.auth.me.query()).user.id).toBe(registered.user.id);

    const model = await api.model.create.mutate({
      name: "fraud",
      description: "card fraud",
      tags: ["tabular"],
    });
    const v1 = await api.version.create.mutate({ modelId: model.id, tag: "v1", framework: "onnx" });
    const v2 = await api.version.create.mutate({
      modelId: model.id,
      tag: "v2",
      framework: "sklearn",
      metadata: { auc: 0.91 },
    });
    const versions = await api.version.list.query({ modelId: model.id });
    expect(versions.items.map((v) => v.id)).toEqual([v2.id, v1.id]);

    const { secret, apiKey } = await api.apiKey.create.mutate({ name: "batch scorer" });
    const withKey = createApiClient({ url, token: secret });
    expect((await withKey.model.list.query({})).items.map((m) => m.name)).toEqual(["fraud"]);

    // The same key in an X-API-Key header, as curl users send it.
    const viaHeader = await fetch(`${url}/trpc/auth.me`, { headers: { "x-api-key": secret } });
    expect(viaHeader.status).toBe(200);
    expect(
      ((await viaHeader.json()) as { result: { data: { authenticatedWith: string } } }).result.data,
    ).toMatchObject({ authenticatedWith: "api_key" });

    await api.apiKey.revoke.mutate({ id: apiKey.id });
    expect(await clientFailure(withKey.model.list.query({}))).toEqual({
      code: "UNAUTHORIZED",
      httpStatus: 401,
      message: "This API key has been revoked",
    });

    await api.auth.logout.mutate();
    expect((await clientFailure(api.auth.me.query())).httpStatus).toBe(401);
  });

  it("batches concurrent calls into one HTTP request", async () => {
    const { accessToken } = await createApiClient({ url }).auth.register.mutate({
      email: "batch@example.com",
      password: "a long password",
    });
    const api = createApiClient({ url, token: accessToken });
    await api.model.create.mutate({ name: "one" });
    const before = httpRequests;
    const [me, models, keys] = await Promise.all([
      api.auth.me.query(),
      api.model.list.query({}),
      api.apiKey.list.query({ includeRevoked: false }),
    ]);
    expect(httpRequests - before).toBe(1);
    expect(me.user.email).toBe("batch@example.com");
    expect(models.items).toHaveLength(1);
    expect(keys).toEqual([]);
    // More calls than the server's batch limit (20) are split, never refused.
    const afterFirst = httpRequests;
    const many = await Promise.all(Array.from({ length: 25 }, () => api.model.list.query({})));
    expect(many.every((page) => page.items.length === 1)).toBe(true);
    expect(httpRequests - afterFirst).toBe(2);
  });

  it("maps domain errors to HTTP codes, with Retry-After on rate limits", async () => {
    const anon = createApiClient({ url });
    await anon.auth.register.mutate({ email: "limit@example.com", password: "a long password" });
    expect(
      await clientFailure(
        anon.auth.register.mutate({ email: "limit@example.com", password: "another one!" }),
      ),
    ).toMatchObject({ code: "CONFLICT", httpStatus: 409 });
    expect(
      await clientFailure(anon.auth.register.mutate({ email: "x", password: "short" })),
    ).toMatchObject({
      code: "BAD_REQUEST",
      httpStatus: 400,
    });
    for (let i = 0; i < 2; i++) {
      await clientFailure(
        anon.auth.login.mutate({ email: "limit@example.com", password: "wrong password" }),
      );
    }
    const response = await fetch(`${url}/trpc/auth.login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "limit@example.com", password: "a long password" }),
    });
    expect(response.status).toBe(429);
    expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(0);
    const body = (await response.json()) as { error: { data: { retryAfterSeconds: number } } };
    expect(body.error.data.retryAfterSeconds).toBe(Number(response.headers.get("retry-after")));
  });

  it("answers malformed requests with 4xx and keeps serving", async () => {
    const post = (path: string, body: string, headers: Record<string, string> = {}) =>
      fetch(`${url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body,
      });
    expect((await post("/trpc/auth.register", "{not json")).status).toBe(400);
    expect(
      (await post("/trpc/auth.register", JSON.stringify({ email: "a".repeat(2_000_000) }))).status,
    ).toBe(413);
    expect((await post("/trpc/nope.nothing", "{}")).status).toBe(404);
    expect((await fetch(`${url}/trpc/auth.register`)).status).toBe(405);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });

  it("serves health and readiness probes and tags every response with a request id", async () => {
    const health = await fetch(`${url}/healthz`);
    expect(await health.json()).toEqual({ status: "ok" });
    expect(health.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    const ready = await fetch(`${url}/readyz`, { headers: { "x-request-id": "trace-abc.123" } });
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: "ready",
      checks: { database: "ok", storage: "ok" },
    });
    expect(ready.headers.get("x-request-id")).toBe("trace-abc.123");
    // An id with characters that could forge log lines is replaced.
    const forged = await fetch(`${url}/healthz`, { headers: { "x-request-id": "a b\tc" } });
    expect(forged.headers.get("x-request-id")).not.toBe("a b\tc");
  });

  it("allows CORS from the web app's origin only", async () => {
    const preflight = (origin: string) =>
      fetch(`${url}/trpc/auth.me`, {
        method: "OPTIONS",
        headers: {
          origin,
          "access-control-request-method": "GET",
          "access-control-request-headers": "authorization",
        },
      });
    const allowed = await preflight("http://localhost:3000");
    expect(allowed.headers.get("access-control-allow-origin")).toBe("http://localhost:3000");
    const denied = await preflight("https://evil.example");
    expect(denied.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("reports not ready when the database check fails", async () => {
    const broken = await startHttp(h, {
      readiness: [
        {
          name: "database",
          check: () =>
            Promise.reject(new Error('connect ECONNREFUSED 10.0.0.5:5432 (database "kubeserve")')),
        },
        { name: "storage", check: () => h.deps.storage.ping() },
      ],
    });
    try {
      const response = await fetch(`${broken.url}/readyz`);
      expect(response.status).toBe(503);
      // The public probe names the failing dependency, never the driver's message.
      expect(await response.json()).toEqual({
        status: "unavailable",
        reason: "database not reachable",
        checks: { database: "unavailable", storage: "ok" },
      });
      expect((await fetch(`${broken.url}/healthz`)).status).toBe(200);
    } finally {
      await broken.close();
    }
  });

  it("reports not ready, naming storage, when the object store does not answer", async () => {
    const closedPort = await freePort();
    const s3 = createArtifactStore({
      driver: "s3",
      endpoint: `http://127.0.0.1:${closedPort}`,
      accessKey: "k",
      secretKey: "s",
      region: "us-east-1",
      bucket: "kubeserve-artifacts",
      pathStyle: true,
    });
    const broken = await startHttp(h, {
      readiness: [
        { name: "database", check: h.database.ping },
        { name: "storage", check: () => s3.ping() },
        { name: "ray", check: () => s3.ping(), isRequired: false },
      ],
    });
    try {
      const response = await fetch(`${broken.url}/readyz`);
      expect(response.status).toBe(503);
      const body = (await response.json()) as Record<string, unknown>;
      expect(body).toEqual({
        status: "unavailable",
        reason: "storage not reachable",
        checks: { database: "ok", storage: "unavailable", ray: "unavailable" },
      });
      expect(JSON.stringify(body)).not.toContain(String(closedPort));
    } finally {
      await broken.close();
    }
  });

  it("stays ready when only an optional check fails, and says which", async () => {
    const optional = await startHttp(h, {
      readiness: [
        { name: "database", check: h.database.ping },
        { name: "ray", check: () => Promise.reject(new Error("no head")), isRequired: false },
      ],
    });
    try {
      const response = await fetch(`${optional.url}/readyz`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({
        status: "ready",
        checks: { database: "ok", ray: "unavailable" },
      });
    } finally {
      await optional.close();
    }
  });
});
