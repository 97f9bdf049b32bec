import { describe, expect, it } from "vitest";
import { createTokenSigner } from "./tokens";

const secret = "unit-test-secret-unit-test-secret-0123456789";
const claims = {
  userId: "01a20919-32d6-749a-a121-39c15ff0f11a",
  sessionId: "3f059bcd-5452-4a26-bb3b-40b7fbd63c9a",
};

describe("token signer", () => {
  it("round-trips claims, also from its cache", async () => {
    const signer = createTokenSigner(secret);
    const token = await signer.sign(claims, new Date(Date.now() + 60_000));
    expect(await signer.verify(token)).toEqual(claims);
    expect(await signer.verify(token)).toEqual(claims);
  });

  it("a cached token stops verifying once it expires", async () => {
    const signer = createTokenSigner(secret);
    const token = await signer.sign(claims, new Date(Date.now() + 1_500));
    expect(await signer.verify(token)).toEqual(claims);
    await new Promise((resolve) => setTimeout(resolve, 1_600));
    expect(await signer.verify(token)).toEqual({ error: "expired" });
  });

  it("rejects tokens signed with another secret or altered", async () => {
    const token = await createTokenSigner(secret).sign(claims, new Date(Date.now() + 60_000));
    const other = createTokenSigner("another-secret-another-secret-0123456789");
    expect(await other.verify(token)).toEqual({ error: "invalid" });
    const signer = createTokenSigner(secret);
    expect(await signer.verify(token)).toEqual(claims);
    expect(await signer.verify(`${token.slice(0, -2)}xx`)).toEqual({ error: "invalid" });
  });
});
