import { testDatabaseKinds } from "@kubeserve/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateApiKey } from "../lib/api-key-secret";
import { deployIris, type TDeployed } from "../test/deployments";
import { readIrisSamples } from "../test/fixtures";
import {
  createHarness,
  failureOf,
  startHttp,
  testConfig,
  type THarness,
  type THttpServer,
} from "../test/harness";
import { startMetricsServer } from "./metrics";

const rows = readIrisSamples().inputs.slice(0, 2);

type TCall = { name: string; method: "GET" | "POST"; path: (id: string) => string; body?: unknown };

// Every prediction surface the gateway serves, tried with every kind of caller.
const calls: TCall[] = [
  {
    name: "V1 predict",
    method: "POST",
    path: (id) => `/api/v1/predict/${id}`,
    body: { instances: rows },
  },
  {
    name: "V2 infer",
    method: "POST",
    path: (id) => `/api/v1/deployments/${id}/v2/models/iris/infer`,
    body: { inputs: [{ name: "input", shape: [2, 4], datatype: "FP32", data: rows.flat() }] },
  },
  { name: "V2 metadata", method: "GET", path: (id) => `/api/v1/deployments/${id}/v2/models/iris` },
  {
    name: "V2 ready",
    method: "GET",
    path: (id) => `/api/v1/deployments/${id}/v2/models/iris/ready`,
  },
  { name: "OpenAPI", method: "GET", path: (id) => `/api/v1/deployments/${id}/openapi.json` },
];

describe.each(testDatabaseKinds)("gateway auth on %s", (kind) => {
  let h: THarness;
  let server: THttpServer;
  let owner: TDeployed;
  let otherTenant: TDeployed;
  let scopedElsewhere: string;
  let scopedHere: string;
  let predictKey: string;
  let revoked: string;
  let spareId: string;

  beforeAll(async () => {
    h = await createHarness(kind);
    server = await startHttp(h);
    owner = await deployIris(h, "owner");
    otherTenant = await deployIris(h, "tenant", { replicas: 0 });
    const spare = await owner.user.api.deployment.create({
      versionId: owner.versionIds[0] ?? "",
      name: "spare",
      replicas: 0,
    });
    spareId = spare.id;
    scopedElsewhere = (
      await owner.user.api.apiKey.create({ name: "elsewhere", deploymentIds: [spare.id] })
    ).secret;
    scopedHere = (
      await owner.user.api.apiKey.create({ name: "here", deploymentIds: [owner.deploymentId] })
    ).secret;
    predictKey = (await owner.user.api.apiKey.create({ name: "predict only", kind: "predict" }))
      .secret;
    const toRevoke = await owner.user.api.apiKey.create({ name: "revoked" });
    await owner.user.api.apiKey.revoke({ id: toRevoke.apiKey.id });
    revoked = toRevoke.secret;
  });
  afterAll(async () => {
    await server.close();
    await h.destroy();
  });

  function send(call: TCall, id: string, headers: Record<string, string>) {
    return fetch(`${server.url}${call.path(id)}`, {
      method: call.method,
      headers: { ...(call.body ? { "content-type": "application/json" } : {}), ...headers },
      body: call.body ? JSON.stringify(call.body) : undefined,
    });
  }

  const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

  it.each(calls)(
    "$name: owner keys pass; no, wrong, revoked, foreign and mis-scoped keys do not",
    async (call) => {
      const id = owner.deploymentId;
      const cases: [string, Record<string, string>, number][] = [
        ["management key", bearer(owner.key), 200],
        ["X-API-Key header", { "x-api-key": owner.key }, 200],
        ["predict key", bearer(predictKey), 200],
        ["key scoped to it", bearer(scopedHere), 200],
        ["access token", bearer(owner.user.token), 200],
        ["no key", {}, 401],
        ["wrong key", bearer(generateApiKey().key), 401],
        ["malformed header", { authorization: "Basic abc" }, 401],
        ["revoked key", bearer(revoked), 401],
        ["other tenant's key", bearer(otherTenant.key), 404],
        ["key scoped to another deployment", bearer(scopedElsewhere), 403],
      ];
      for (const [label, headers, status] of cases) {
        const response = await send(call, id, headers);
        expect({ label, status: response.status }).toEqual({ label, status });
        if (status === 401) expect(response.headers.get("www-authenticate")).toMatch(/^Bearer/);
        await response.arrayBuffer();
      }
      // Another user's deployment answers exactly as a missing one.
      const foreign = await send(call, otherTenant.deploymentId, bearer(owner.key));
      const missing = await send(call, "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", bearer(owner.key));
      expect([foreign.status, missing.status]).toEqual([404, 404]);
      const [a, b] = [
        (await foreign.json()) as { error: { message: string } },
        (await missing.json()) as { error: { message: string } },
      ];
      expect(a.error.message).toBe(b.error.message);
      // Without a key a private deployment and a missing one look the same too.
      expect((await send(call, otherTenant.deploymentId, {})).status).toBe(401);
      expect((await send(call, spareId, {})).status).toBe(401);
    },
  );

  it("refuses a body over GATEWAY_MAX_BODY_BYTES with 413 naming the limit, before reading it", async () => {
    const limited = await startHttp(h, {
      config: { gateway: { ...h.config.gateway, maxBodyBytes: 1024 } },
    });
    try {
      const response = await fetch(`${limited.url}/api/v1/predict/${owner.deploymentId}`, {
        method: "POST",
        headers: { ...bearer(owner.key), "content-type": "application/json" },
        body: JSON.stringify({ instances: Array.from({ length: 200 }, () => rows[0]) }),
      });
      expect(response.status).toBe(413);
      expect(await response.text()).toMatch(/exceeds the limit of 1024 bytes/);
    } finally {
      await limited.close();
    }
  });

  it("refuses prediction keys on the management API", async () => {
    const api = h.caller(predictKey);
    const failure = await failureOf(api.model.list({}));
    expect(failure).toMatchObject({ code: "FORBIDDEN" });
    expect(failure.message).toMatch(/prediction key/);
    expect((await failureOf(api.apiKey.create({ name: "escalate" }))).code).toBe("FORBIDDEN");
    expect((await failureOf(api.deployment.list({}))).code).toBe("FORBIDDEN");
  });

  it("refuses scopes naming deployments the key's owner does not have", async () => {
    const failure = await failureOf(
      owner.user.api.apiKey.create({ name: "steal", deploymentIds: [otherTenant.deploymentId] }),
    );
    expect(failure.code).toBe("NOT_FOUND");
  });

  it("serves a public deployment to anyone, but still refuses a wrong key", async () => {
    const id = owner.deploymentId;
    await owner.user.api.deployment.update({ id, isPublic: true });
    const call = calls[0] as TCall;
    expect((await send(call, id, {})).status).toBe(200);
    expect((await send(call, id, bearer(otherTenant.key))).status).toBe(200);
    expect((await send(call, id, bearer(generateApiKey().key))).status).toBe(401);
    await owner.user.api.deployment.update({ id, isPublic: false });
    expect((await send(call, id, {})).status).toBe(401);
  });

  for (const mode of ["listen", "poll"] as const) {
    it(`takes a revoked key out of service within 1 s (${mode})`, async () => {
      const target =
        mode === "listen"
          ? server
          : await startHttp(h, {
              config: { gateway: { ...h.config.gateway, revocation: "poll" } },
            });
      try {
        const { apiKey, secret } = await owner.user.api.apiKey.create({
          name: `soon revoked ${mode}`,
        });
        const call = calls[2] as TCall;
        const probe = () =>
          fetch(`${target.url}${call.path(owner.deploymentId)}`, { headers: bearer(secret) }).then(
            async (r) => {
              await r.arrayBuffer();
              return r.status;
            },
          );
        // Warm: the key is verified once and then served from the cache.
        const before = await probe();
        expect(before).not.toBe(401);
        await owner.user.api.apiKey.revoke({ id: apiKey.id });
        const revokedAt = Date.now();
        let status = before;
        while (status !== 401 && Date.now() - revokedAt < 3000) {
          status = await probe();
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        expect(status).toBe(401);
        expect(Date.now() - revokedAt).toBeLessThan(1000);
      } finally {
        if (target !== server) await target.close();
      }
    });
  }

  it("limits each key's rate with 429 and Retry-After", async () => {
    const limited = await startHttp(h, {
      config: { gateway: { ...testConfig().gateway, rateLimitRps: 1, rateLimitBurst: 2 } },
    });
    try {
      const call = calls[3] as TCall;
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 3; i++) {
        const response = await fetch(`${limited.url}${call.path(owner.deploymentId)}`, {
          headers: bearer(owner.key),
        });
        statuses.push(response.status);
        if (response.status === 429) retryAfter = response.headers.get("retry-after");
        await response.arrayBuffer();
      }
      expect(statuses[2]).toBe(429);
      expect(statuses.slice(0, 2)).not.toContain(429);
      expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
      // Another key has its own bucket.
      const other = await fetch(`${limited.url}${call.path(owner.deploymentId)}`, {
        headers: bearer(predictKey),
      });
      expect(other.status).not.toBe(429);
    } finally {
      await limited.close();
    }
  });

  it("exposes gateway metrics on the metrics listener only, never on the public port", async () => {
    const metrics = await startMetricsServer(h.deps.gateway.metrics, "127.0.0.1", 0);
    try {
      await (await send(calls[0] as TCall, owner.deploymentId, bearer(owner.key))).arrayBuffer();
      const text = await (await fetch(metrics.url)).text();
      expect(text).toContain(
        `gateway_requests_total{deployment="${owner.deploymentId}",protocol="v1",code="200"}`,
      );
      expect(text).toContain("gateway_request_duration_ms_bucket");
      expect(text).toContain("gateway_requests_in_flight");
      expect(text).toContain("gateway_rate_limited_total");
      expect(metrics.url).toMatch(/^http:\/\/127\.0\.0\.1:/);
      expect((await fetch(`${server.url}/metrics`)).status).toBe(404);
    } finally {
      await metrics.close();
    }
  });
});
