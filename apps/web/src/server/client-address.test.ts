import { beforeEach, describe, expect, it, vi } from "vitest";

let forwarded: string | null = null;
vi.mock("next/headers", () => ({
  headers: () =>
    Promise.resolve(new Headers(forwarded === null ? {} : { "x-forwarded-for": forwarded })),
}));
const { readClientAddress } = await import("./client-address");

describe("readClientAddress", () => {
  beforeEach(() => (forwarded = null));

  it("takes the nearest hop's view: the last X-Forwarded-For entry", async () => {
    forwarded = "6.6.6.6, 203.0.113.7";
    expect(await readClientAddress()).toBe("203.0.113.7");
  });

  it("unwraps IPv4-mapped IPv6 and keeps IPv6", async () => {
    forwarded = "::ffff:127.0.0.1";
    expect(await readClientAddress()).toBe("127.0.0.1");
    forwarded = "2001:db8::1";
    expect(await readClientAddress()).toBe("2001:db8::1");
  });

  it("sends nothing when there is no address or it is not one", async () => {
    expect(await readClientAddress()).toBeUndefined();
    forwarded = "evil, not-an-ip";
    expect(await readClientAddress()).toBeUndefined();
  });
});
