import { proxyUpload } from "~/server/upload-proxy";

export const dynamic = "force-dynamic";

type TParams = { params: Promise<{ id?: string[] }> };

async function handle(request: Request, { params }: TParams) {
  const { id } = await params;
  if (id && id.length > 1) return new Response("Upload not found\n", { status: 404 });
  return proxyUpload(request, id?.[0]);
}

export { handle as DELETE, handle as HEAD, handle as PATCH, handle as POST };
