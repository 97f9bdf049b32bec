import { proxyTrpc } from "~/server/trpc-proxy";

export const dynamic = "force-dynamic";

type TParams = { params: Promise<{ trpc: string }> };

async function handle(request: Request, { params }: TParams) {
  return proxyTrpc(request, (await params).trpc);
}

export { handle as GET, handle as POST };
