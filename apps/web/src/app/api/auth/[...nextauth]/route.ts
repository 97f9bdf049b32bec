import NextAuth from "next-auth";
import { buildAuthOptions } from "~/server/auth";

export const dynamic = "force-dynamic";

type TContext = { params: Promise<{ nextauth: string[] }> };

// Built per request so the configuration (secret, API URL) is read at run time, not at build time.
async function handle(request: Request, context: TContext) {
  const handler = NextAuth(buildAuthOptions()) as (
    request: Request,
    context: { params: { nextauth: string[] } },
  ) => Promise<Response>;
  return handler(request, { params: await context.params });
}

export { handle as GET, handle as POST };
