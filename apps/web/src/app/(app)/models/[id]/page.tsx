import { HydrationBoundary } from "@tanstack/react-query";
import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { ModelPage } from "~/components/model/model-page";
import { UploadLimitProvider } from "~/components/model/upload-limit";
import { versionPageInput } from "~/lib/version-input";
import { isNotFound } from "~/lib/api-error";
import { callOrLogin } from "~/server/api-session";
import { readUploadLimit } from "~/server/upload-proxy";
import { createServerTrpc } from "~/trpc/server";

type TProps = { params: Promise<{ id: string }> };

export const metadata: Metadata = { title: "Model · KubeServe" };

export default async function ModelRoute({ params }: TProps) {
  const { id } = await params;
  const returnTo = `/models/${encodeURIComponent(id)}`;
  const { trpc, queryClient, dehydrate } = await createServerTrpc(returnTo);
  try {
    // Another user's model, a deleted one and a malformed id all read as not found: nothing leaks.
    await callOrLogin(returnTo, () => queryClient.fetchQuery(trpc.model.get.queryOptions({ id })));
  } catch (error) {
    if (isNotFound(error)) notFound();
    throw error;
  }
  const [, maxBytes] = await Promise.all([
    queryClient.prefetchQuery(trpc.version.list.queryOptions(versionPageInput(id, undefined))),
    readUploadLimit(),
  ]);
  return (
    <HydrationBoundary state={dehydrate()}>
      <UploadLimitProvider maxBytes={maxBytes}>
        <ModelPage modelId={id} />
      </UploadLimitProvider>
    </HydrationBoundary>
  );
}
