import { type NextRequest, NextResponse } from "next/server";
import { sessionCookieName } from "~/server/session-cookie";
import { isTokenLive, readSessionToken } from "~/server/session-token";

// Every page but sign-in, registration and sign-out needs a live session; without one the visitor goes to
// login and comes back to the page they asked for.
const publicPaths = new Set(["/login", "/register", "/logout"]);

export async function proxy(request: NextRequest) {
  const { pathname, search } = request.nextUrl;
  if (publicPaths.has(pathname)) return NextResponse.next();
  const cookie = request.cookies.get(sessionCookieName())?.value;
  const token = await readSessionToken(cookie);
  if (token?.accessToken && isTokenLive(token.accessTokenExpiresAt)) return NextResponse.next();
  const login = new URL("/login", request.url);
  login.searchParams.set("callbackUrl", `${pathname}${search}`);
  if (cookie) login.searchParams.set("expired", "1");
  return NextResponse.redirect(login);
}

export const config = {
  // The API routes answer for themselves (tRPC's UNAUTHORIZED, next-auth's own pages).
  matcher: ["/((?!api/|_next/|favicon.ico|icon.svg).*)"],
};
