import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, failureOf, startHttp, type THarness } from "./harness";
import { findLeaks, recordedErrorCount } from "./leak-guard";

describe("the leak guard", () => {
  it("flags Prisma, driver and stack text, and passes our own messages", () => {
    const leaks = findLeaks([
      { source: "a", text: "Invalid `prisma.modelVersion.create()` invocation" },
      {
        source: "b",
        text: 'null value in column "name" of relation "models" violates not-null constraint',
      },
      { source: "c", text: 'invalid input syntax for type uuid: "x"' },
      { source: "d", text: "PrismaClientKnownRequestError P2002" },
      { source: "e", text: "at async loginUser (/app/src/services/auth.service.ts:97:12)" },
    ]);
    expect(new Set(leaks.map((leak) => leak.source))).toEqual(new Set(["a", "b", "c", "d", "e"]));
    expect(
      findLeaks([
        { source: "ok", text: "Invalid cursor: pass back nextCursor from the previous page" },
        { source: "ok", text: "Internal error (request id 3f0c)" },
        { source: "ok", text: "Model 'iris' already has a version tagged 'v1'" },
      ]),
    ).toEqual([]);
  });

  describe("collects what clients see", () => {
    let h: THarness;
    beforeAll(async () => {
      h = await createHarness("pglite");
    });
    afterAll(() => h.destroy());

    it("from createCaller errors, fetch responses and the HTTP server", async () => {
      const before = recordedErrorCount();
      await failureOf(h.caller().auth.me());
      expect(recordedErrorCount()).toBe(before + 1);
      const server = await startHttp(h);
      try {
        await fetch(`${server.url}/nope`);
        // Once by the server's onSend hook, once by the fetch wrapper (after its body is read).
        await new Promise((resolve) => setTimeout(resolve, 50));
        expect(recordedErrorCount()).toBe(before + 3);
      } finally {
        await server.close();
      }
    });
  });
});
