import { createSecretKey } from "node:crypto";
import { errors, jwtVerify, SignJWT } from "jose";

const issuer = "kubeserve";
const audience = "kubeserve-api";

export type TAccessTokenClaims = { userId: string; sessionId: string };

export type TTokenSigner = {
  sign: (claims: TAccessTokenClaims, expiresAt: Date) => Promise<string>;
  verify: (token: string) => Promise<TAccessTokenClaims | { error: "expired" | "invalid" }>;
};

// Verified tokens are remembered by their exact text until they expire: a signature check through
// WebCrypto costs more than the rest of authentication, and a given token's validity never changes
// (revocation is checked separately, in the database, on every request).
const verifiedCacheSize = 10_000;

export function createTokenSigner(secret: string): TTokenSigner {
  const verified = new Map<string, TAccessTokenClaims & { expiresAtMs: number }>();
  // A KeyObject is imported once; a raw byte array would be re-imported on every verification.
  const key = createSecretKey(Buffer.from(secret, "utf8"));
  return {
    sign: (claims, expiresAt) =>
      new SignJWT({})
        .setProtectedHeader({ alg: "HS256", typ: "JWT" })
        .setSubject(claims.userId)
        .setJti(claims.sessionId)
        .setIssuer(issuer)
        .setAudience(audience)
        .setIssuedAt()
        .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
        .sign(key),
    verify: async (token) => {
      const cached = verified.get(token);
      if (cached && cached.expiresAtMs > Date.now()) {
        return { userId: cached.userId, sessionId: cached.sessionId };
      }
      try {
        const { payload } = await jwtVerify(token, key, {
          issuer,
          audience,
          algorithms: ["HS256"],
          requiredClaims: ["sub", "jti", "exp"],
        });
        const claims = { userId: payload.sub as string, sessionId: payload.jti as string };
        if (verified.size >= verifiedCacheSize)
          verified.delete(verified.keys().next().value as string);
        verified.set(token, { ...claims, expiresAtMs: (payload.exp as number) * 1000 });
        return claims;
      } catch (error) {
        return { error: error instanceof errors.JWTExpired ? "expired" : "invalid" };
      }
    },
  };
}
