import { errors, jwtVerify, SignJWT } from "jose";

const issuer = "kubeserve";
const audience = "kubeserve-api";

export type TAccessTokenClaims = { userId: string; sessionId: string };

export type TTokenSigner = {
  sign: (claims: TAccessTokenClaims, expiresAt: Date) => Promise<string>;
  verify: (token: string) => Promise<TAccessTokenClaims | { error: "expired" | "invalid" }>;
};

export function createTokenSigner(secret: string): TTokenSigner {
  const key = new TextEncoder().encode(secret);
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
      try {
        const { payload } = await jwtVerify(token, key, {
          issuer,
          audience,
          algorithms: ["HS256"],
          requiredClaims: ["sub", "jti", "exp"],
        });
        return { userId: payload.sub as string, sessionId: payload.jti as string };
      } catch (error) {
        return { error: error instanceof errors.JWTExpired ? "expired" : "invalid" };
      }
    },
  };
}
