import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, startHttp, type THarness, type THttpServer } from "../test/harness";

// A single GET query is answered without tRPC's fetch adapter; a batch of one still goes through it. Both
// must give the same status and the same body, for successes and for every kind of failure.
describe("single GET queries answer exactly as tRPC's adapter does", () => {
  let h: THarness;
  let server: THttpServer;
  let token: string;

  beforeAll(async () => {
    h = await createHarness("pglite");
    server = await startHttp(h);
    const user = await h.signUp("single");
    token = user.token;
    await user.api.model.create({ name: "iris", description: "d", tags: [] });
  });
  afterAll(async () => {
    await server.close();
    await h.destroy();
  });

  async function both(path: string, input: unknown, credential: string | undefined = token) {
    const headers: Record<string, string> = credential
      ? { authorization: `Bearer ${credential}` }
      : {};
    const encoded = input === undefined ? "" : encodeURIComponent(JSON.stringify(input));
    const single = await fetch(
      `${server.url}/trpc/${path}${input === undefined ? "" : `?input=${encoded}`}`,
      { headers },
    );
    const batchInput = encodeURIComponent(JSON.stringify(input === undefined ? {} : { 0: input }));
    const batch = await fetch(`${server.url}/trpc/${path}?batch=1&input=${batchInput}`, {
      headers,
    });
    const singleBody = (await single.json()) as unknown;
    const [batchBody] = (await batch.json()) as unknown[];
    return { single, batch, singleBody, batchBody };
  }

  const withoutRequestId = (body: unknown) =>
    JSON.parse(JSON.stringify(body).replace(/"requestId":"[^"]*"/g, '"requestId":"x"')) as unknown;

  it.each([
    ["a page of models", "model.list", { limit: 10, sortBy: "name" }, 200],
    ["a model by name", "model.get", { name: "iris" }, 200],
    ["no input where one is optional", "apiKey.list", undefined, 200],
    ["invalid input", "model.list", { limit: -1, sortBy: "name" }, 400],
    ["a forged cursor", "model.list", { limit: 10, sortBy: "name", cursor: "bm9wZQ" }, 400],
    ["an unknown model", "model.get", { name: "nope" }, 404],
  ])("%s", async (_what, path, input, status) => {
    const { single, batch, singleBody, batchBody } = await both(path, input);
    expect(single.status).toBe(status);
    expect(batch.status).toBe(status);
    expect(single.headers.get("content-type")).toContain("application/json");
    expect(withoutRequestId(singleBody)).toEqual(withoutRequestId(batchBody));
  });

  it("no credential", async () => {
    const { single, singleBody, batchBody } = await both(
      "model.list",
      { limit: 1, sortBy: "name" },
      "",
    );
    expect(single.status).toBe(401);
    expect(withoutRequestId(singleBody)).toEqual(withoutRequestId(batchBody));
  });

  it("leaves what is not a query to the adapter: mutations over GET, unknown paths, bad JSON", async () => {
    const mutation = await fetch(`${server.url}/trpc/model.create?input=%7B%7D`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(mutation.status).toBe(405);
    expect((await fetch(`${server.url}/trpc/model.nope`)).status).toBe(404);
    const badJson = await fetch(`${server.url}/trpc/model.list?input=%7Bnope`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(badJson.status).toBe(400);
  });
});
