import { createApiClient, type TApiClient } from "@kubeserve/api";
import { cookies } from "next/headers";
import { redirect } from "next/navigation";
import { readWebConfig } from "~/config";
import { isUnauthorized } from "~/lib/api-error";
import { sessionCookieName } from "./session-cookie";
import { isTokenLive, readSessionToken } from "./session-token";

export type TApiSession = { accessToken: string; userId: string; email: string };

export async function readApiSession(): Promise<TApiSession | undefined> {
  const jwt = await readSessionToken((await cookies()).get(sessionCookieName())?.value);
  if (!jwt?.accessToken || !isTokenLive(jwt.accessTokenExpiresAt)) return undefined;
  return { accessToken: jwt.accessToken, userId: jwt.userId ?? "", email: jwt.email ?? "" };
}

function loginUrl(returnTo: string): string {
  return `/login?callbackUrl=${encodeURIComponent(returnTo)}`;
}

/** A typed API client acting as the signed-in user, for server components' first render. */
export async function requireServerApi(returnTo: string): Promise<TApiClient> {
  const session = await readApiSession();
  if (!session) redirect(loginUrl(returnTo));
  return createApiClient({ url: readWebConfig().apiUrl, token: session.accessToken });
}

/** Runs a server-side call; a session the API no longer accepts (revoked, expired) goes to login and back. */
export async function callOrLogin<T>(returnTo: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isUnauthorized(error)) redirect(loginUrl(returnTo));
    throw error;
  }
}
