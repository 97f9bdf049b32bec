import { createApiClient, type RouterOutputs } from "@kubeserve/api";
import type { AuthOptions, User } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { cookies } from "next/headers";
import { readWebConfig } from "~/config";
import { readApiErrorMessage } from "~/lib/api-error";
import { readClientAddress } from "./client-address";
import { deviceCookieName, deviceCookiePath, sessionCookieName } from "./session-cookie";
import { isTokenLive } from "./session-token";

type TSession = RouterOutputs["auth"]["login"];

/* eslint-disable @typescript-eslint/consistent-type-definitions -- module augmentation merges interfaces only */
declare module "next-auth" {
  interface User {
    accessToken: string;
    accessTokenExpiresAt: string;
    role: "user" | "admin";
  }
  interface Session {
    user: { id: string; email: string; name: string | null; role: "user" | "admin" };
    // Never the API token: this object is what /api/auth/session hands to page script.
  }
}

declare module "next-auth/jwt" {
  interface JWT {
    accessToken?: string;
    accessTokenExpiresAt?: string;
    userId?: string;
    role?: "user" | "admin";
  }
}
/* eslint-enable @typescript-eslint/consistent-type-definitions */

function readCookieHeader(header: unknown, name: string): string | undefined {
  if (typeof header !== "string") return undefined;
  for (const part of header.split(";")) {
    const index = part.indexOf("=");
    if (index > 0 && part.slice(0, index).trim() === name) return part.slice(index + 1).trim();
  }
  return undefined;
}

async function login(email: string, password: string, requestCookies: unknown): Promise<TSession> {
  const config = readWebConfig();
  let issuedDeviceToken: string | undefined;
  const api = createApiClient({
    url: config.apiUrl,
    // The browser's device cookie for this dashboard, so its owner is spared lockouts strangers cause.
    deviceToken: readCookieHeader(requestCookies, deviceCookieName),
    onDeviceToken: (token) => (issuedDeviceToken = token),
    forwardedFor: await readClientAddress(),
  });
  const session = await api.auth.login.mutate({ email, password });
  if (issuedDeviceToken) {
    (await cookies()).set(deviceCookieName, issuedDeviceToken, {
      httpOnly: true,
      sameSite: "lax",
      secure: config.isSecure,
      path: deviceCookiePath,
      maxAge: 180 * 86_400,
    });
  }
  return session;
}

function toUser(session: TSession): User {
  return {
    id: session.user.id,
    email: session.user.email,
    name: session.user.name,
    role: session.user.role,
    accessToken: session.accessToken,
    accessTokenExpiresAt: session.expiresAt,
  };
}

export function buildAuthOptions(): AuthOptions {
  const config = readWebConfig();
  return {
    secret: config.sessionSecret,
    // Lasts no longer than the API token it carries; the proxy sends expired sessions to login.
    session: { strategy: "jwt", maxAge: 12 * 60 * 60 },
    pages: { signIn: "/login", signOut: "/logout", error: "/login" },
    cookies: {
      sessionToken: {
        name: sessionCookieName(),
        options: { httpOnly: true, sameSite: "lax", path: "/", secure: config.isSecure },
      },
    },
    providers: [
      CredentialsProvider({
        name: "Email and password",
        credentials: { email: { type: "email" }, password: { type: "password" } },
        async authorize(credentials, req) {
          if (!credentials?.email || !credentials.password) {
            throw new Error("Enter your email and password");
          }
          try {
            return toUser(
              await login(credentials.email, credentials.password, req.headers?.cookie),
            );
          } catch (error) {
            // The API's message names the problem ("Invalid email or password", a lockout's wait).
            throw new Error(readApiErrorMessage(error), { cause: error });
          }
        },
      }),
    ],
    callbacks: {
      jwt({ token, user }) {
        if (user) {
          token.accessToken = user.accessToken;
          token.accessTokenExpiresAt = user.accessTokenExpiresAt;
          token.userId = user.id;
          token.role = user.role;
        }
        return token;
      },
      session({ session, token }) {
        session.user = {
          id: token.userId ?? "",
          email: token.email ?? "",
          name: token.name ?? null,
          role: token.role ?? "user",
        };
        if (token.accessTokenExpiresAt) session.expires = token.accessTokenExpiresAt;
        return session;
      },
    },
    events: {
      // Signing out ends the API session too, so a copied cookie or token stops working at once.
      async signOut({ token }) {
        if (!token.accessToken || !isTokenLive(token.accessTokenExpiresAt)) return;
        const api = createApiClient({ url: config.apiUrl, token: token.accessToken });
        await api.auth.logout.mutate().catch(() => undefined);
      },
    },
  };
}
