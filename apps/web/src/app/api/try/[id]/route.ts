import { proxyTryIt } from "~/server/try-it-proxy";

export const dynamic = "force-dynamic";

type TParams = { params: Promise<{ id: string }> };

export async function POST(request: Request, { params }: TParams) {
  return proxyTryIt(request, (await params).id);
}
