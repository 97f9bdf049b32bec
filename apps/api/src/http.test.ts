import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DomainError } from "./lib/errors";
import { createHarness, startHttp, type THarness, type THttpServer } from "./test/harness";
import { recordErrorText } from "./test/leak-guard";

const run = promisify(execFile);
const limitText = "Request body exceeds the limit of 1048576 bytes (1 MiB)";
const tenMiB = JSON.stringify({ email: "a".repeat(10 * 1024 * 1024) });

type TRawResult = { response: string; writeError: string | undefined; closedAfterMs: number };

/**
 * A client that, like many HTTP libraries, writes its whole body whatever the server answers meanwhile,
 * and only then reads: it sees the answer only if the server does not reset the connection.
 */
function rawUpload(
  url: string,
  options: { chunked: boolean; totalBytes: number; endless?: boolean },
): Promise<TRawResult> {
  const { port } = new URL(url);
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = net.connect({ port: Number(port), host: "127.0.0.1", allowHalfOpen: true });
    let response = "";
    let writeError: string | undefined;
    socket.on("data", (data: Buffer) => (response += data.toString()));
    socket.on("error", (error: NodeJS.ErrnoException) => (writeError ??= error.code));
    socket.on("close", () => {
      recordErrorText("raw socket", response);
      resolve({ response, writeError, closedAfterMs: Date.now() - started });
    });
    const head = options.chunked
      ? "Transfer-Encoding: chunked"
      : `Content-Length: ${options.totalBytes}`;
    socket.write(
      `POST /trpc/auth.register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${head}\r\n\r\n`,
    );
    const chunk = Buffer.alloc(64 * 1024, 97);
    let sent = 0;
    const pump = () => {
      while (!socket.destroyed && (options.endless || sent < options.totalBytes)) {
        const frame = options.chunked
          ? Buffer.concat([
              Buffer.from(`${chunk.length.toString(16)}\r\n`),
              chunk,
              Buffer.from("\r\n"),
            ])
          : chunk;
        sent += chunk.length;
        if (!socket.write(frame)) return void socket.once("drain", pump);
      }
      if (!socket.destroyed && !options.endless) socket.end(options.chunked ? "0\r\n\r\n" : "");
    };
    pump();
  });
}

function statusAndBody(raw: string): { status: number; body: unknown; headers: string } {
  const [headers = "", body = ""] = raw.split("\r\n\r\n");
  return {
    status: Number(/^HTTP\/1\.1 (\d{3})/.exec(headers)?.[1]),
    body: JSON.parse(body) as unknown,
    headers,
  };
}

describe("the HTTP surface under hostile requests (PostgreSQL)", () => {
  let h: THarness;
  let server: THttpServer;
  let url: string;

  beforeAll(async () => {
    h = await createHarness("postgres");
    server = await startHttp(h, {
      // Idle means a pause of 2 s: a client starved of CPU on a loaded machine still counts as sending.
      linger: { maxMs: 4_000, idleMs: 2_000 },
      routes: (app) => {
        // Routes a later feature would add: the shared handler must cover their failures too.
        app.get("/api/v1/test/database-error", async () =>
          h.deps.sql("SELECT * FROM no_such_table"),
        );
        app.get("/api/v1/test/domain-error", async () => {
          throw new DomainError("CONFLICT", "Version v1 is already uploaded");
        });
      },
    });
    url = server.url;
  });
  afterAll(async () => {
    await server.close();
    await h.destroy();
  });

  it("answers a 10 MiB body from fetch with 413 naming the limit, fixed-length and streamed", async () => {
    const fixed = await fetch(`${url}/trpc/auth.register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: tenMiB,
    });
    expect(fixed.status).toBe(413);
    expect(await fixed.json()).toMatchObject({
      error: { message: limitText, data: { code: "PAYLOAD_TOO_LARGE", httpStatus: 413 } },
    });
    const bytes = new TextEncoder().encode(tenMiB);
    const streamed = await fetch(`${url}/trpc/auth.register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: new ReadableStream({
        start(controller) {
          for (let i = 0; i < bytes.length; i += 65_536)
            controller.enqueue(bytes.subarray(i, i + 65_536));
          controller.close();
        },
      }),
      duplex: "half",
    } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(((await streamed.json()) as { error: { message: string } }).error.message).toBe(
      limitText,
    );
  });

  it("refuses curl's 10 MiB upload before it is sent, and answers one sent anyway", async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "ks-413-")), "big.json");
    writeFileSync(file, tenMiB);
    const curl = (extra: string[]) =>
      run("curl", [
        "-sS",
        "-X",
        "POST",
        "-H",
        "content-type: application/json",
        ...extra,
        "--data-binary",
        `@${file}`,
        "-w",
        "\n%{http_code} %{size_upload}",
        `${url}/api/v1/anything`,
      ]);
    // curl asks `Expect: 100-continue` for large bodies; the 413 comes instead of the 100.
    const expecting = await curl([]);
    const [body, summary] = expecting.stdout.split("\n");
    recordErrorText("curl", body ?? "");
    expect(summary).toBe("413 0");
    expect(JSON.parse(body ?? "")).toMatchObject({
      error: { code: "PAYLOAD_TOO_LARGE", message: limitText },
    });
    const pushing = await curl(["-H", "Expect:"]);
    expect(pushing.stdout.split("\n")[1]).toMatch(/^413 /);
  });

  it.each([false, true])(
    "answers a raw client that keeps writing (chunked: %s) with 413, then closes",
    async (chunked) => {
      const result = await rawUpload(url, { chunked, totalBytes: 10 * 1024 * 1024 });
      expect(result.writeError).toBeUndefined();
      const { status, body, headers } = statusAndBody(result.response);
      expect(status).toBe(413);
      expect(headers.toLowerCase()).toContain("connection: close");
      expect(body).toMatchObject({ error: { message: limitText } });
    },
  );

  it("takes its limit from API_MAX_BODY_BYTES and reads bodies under it as usual", async () => {
    const small = await startHttp(h, { config: { maxBodyBytes: 2048 } });
    try {
      const post = (bytes: number) =>
        fetch(`${small.url}/trpc/auth.register`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ email: "x@example.com", password: "p".repeat(bytes) }),
        });
      const over = await post(3000);
      expect(over.status).toBe(413);
      expect(((await over.json()) as { error: { message: string } }).error.message).toBe(
        "Request body exceeds the limit of 2048 bytes (2 KiB)",
      );
      // Under the limit the body is parsed and validated: here a 400 for the password rule.
      expect((await post(1500)).status).toBe(400);
    } finally {
      await small.close();
    }
  });

  it("closes the connection of a client that never stops sending", async () => {
    const result = await rawUpload(url, { chunked: true, totalBytes: 0, endless: true });
    expect(statusAndBody(result.response).status).toBe(413);
    expect(result.closedAfterMs).toBeLessThan(8_000);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });

  it("limits a batch to 20 calls", async () => {
    const batch = (n: number) =>
      fetch(
        `${url}/trpc/${Array.from({ length: n }, () => "model.list").join(",")}?batch=1&input={}`,
      );
    const tooMany = await batch(21);
    expect(tooMany.status).toBe(400);
    expect(await tooMany.json()).toMatchObject({
      error: {
        message: "A batch may hold at most 20 calls (this one has 21)",
        data: { code: "BAD_REQUEST" },
      },
    });
    const twenty = await batch(20);
    expect(twenty.status).toBe(401);
    expect((await twenty.json()) as unknown[]).toHaveLength(20);
  });

  it("refuses unstorable text sent as JSON escapes in bodies and query strings", async () => {
    for (const body of [
      '{"email":"a\\u0000@example.com","password":"long enough pass"}',
      '{"email":"a@example.com","password":"long enough pass","name":"\\ud800"}',
    ]) {
      const response = await fetch(`${url}/trpc/auth.register`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
      expect(response.status).toBe(400);
    }
    const { accessToken } = await h
      .caller()
      .auth.register({ email: "esc@example.com", password: "long enough pass" });
    const query = await fetch(
      `${url}/trpc/model.list?input=${encodeURIComponent('{"search":"\\u0000"}')}`,
      {
        headers: { authorization: `Bearer ${accessToken}` },
      },
    );
    expect(query.status).toBe(400);
  });

  it("turns unexpected failures into a 500 naming only the request id, in tRPC and other routes", async () => {
    const { accessToken } = await h
      .caller()
      .auth.register({ email: "broken@example.com", password: "long enough pass" });
    await h.deps.sql("ALTER TABLE models RENAME TO models_away");
    try {
      for (const [procedure, init] of [
        ["model.list?input={}", {}],
        [
          "model.create",
          { method: "POST", body: '{"name":"x"}', headers: { "content-type": "application/json" } },
        ],
      ] as const) {
        const response = await fetch(`${url}/trpc/${procedure}`, {
          ...init,
          headers: {
            ...("headers" in init ? init.headers : {}),
            authorization: `Bearer ${accessToken}`,
          },
        });
        expect(response.status).toBe(500);
        const requestId = response.headers.get("x-request-id");
        const body = (await response.json()) as {
          error: { message: string; data: { requestId: string } };
        };
        expect(body.error.message).toBe(`Internal error (request id ${requestId})`);
        expect(body.error.data.requestId).toBe(requestId);
      }
      const viaCaller = await h
        .caller(accessToken)
        .model.list()
        .catch((error: Error) => error);
      expect((viaCaller as Error).message).toBe("Internal error (request id internal)");
    } finally {
      await h.deps.sql("ALTER TABLE models_away RENAME TO models");
    }
    const other = await fetch(`${url}/api/v1/test/database-error`);
    expect(other.status).toBe(500);
    expect(await other.json()).toEqual({
      error: {
        code: "INTERNAL_SERVER_ERROR",
        message: `Internal error (request id ${other.headers.get("x-request-id")})`,
        requestId: other.headers.get("x-request-id"),
      },
    });
    const domain = await fetch(`${url}/api/v1/test/domain-error`);
    expect(domain.status).toBe(409);
    expect(((await domain.json()) as { error: unknown }).error).toMatchObject({
      code: "CONFLICT",
      message: "Version v1 is already uploaded",
    });
  });

  it("answers unknown routes with a JSON 404", async () => {
    const response = await fetch(`${url}/nope?x=1`);
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: unknown }).error).toMatchObject({
      code: "NOT_FOUND",
      message: "No route GET /nope",
    });
  });

  it.each([
    ["not trusted", false, "6.6.6.6, 7.7.7.7", "127.0.0.1"],
    ["one hop", 1, "6.6.6.6, 7.7.7.7", "7.7.7.7"],
    ["two hops", 2, "6.6.6.6, 7.7.7.7", "6.6.6.6"],
    ["the loopback proxy", ["127.0.0.1/32"], "6.6.6.6, 7.7.7.7", "7.7.7.7"],
    ["two proxy ranges", ["127.0.0.0/8", "7.7.7.0/24"], "6.6.6.6, 7.7.7.7", "6.6.6.6"],
    ["another proxy only", ["10.0.0.0/8"], "6.6.6.6", "127.0.0.1"],
  ] as const)(
    "with TRUST_PROXY %s takes the client address the trusted hops report",
    async (_label, trustProxy, forwardedFor, expected) => {
      const proxied = await startHttp(h, {
        config: { trustProxy: trustProxy as false | number | string[] },
      });
      try {
        const email = `proxy-${String(trustProxy).replace(/\W/g, "")}@example.com`;
        const response = await fetch(`${proxied.url}/trpc/auth.register`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-forwarded-for": forwardedFor },
          body: JSON.stringify({ email, password: "long enough pass" }),
        });
        expect(response.status).toBe(200);
        const session = await h.deps.db.session.findFirst({
          where: { user: { email } },
          select: { ip: true },
        });
        expect(session?.ip).toBe(expected);
      } finally {
        await proxied.close();
      }
    },
  );
});
