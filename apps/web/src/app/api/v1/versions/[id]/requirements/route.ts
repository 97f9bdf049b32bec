import { proxyRequirements } from "~/server/upload-proxy";

export const dynamic = "force-dynamic";

type TParams = { params: Promise<{ id: string }> };

export async function PUT(request: Request, { params }: TParams) {
  return proxyRequirements(request, (await params).id);
}
