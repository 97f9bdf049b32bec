import { HydrationBoundary } from "@tanstack/react-query";
import type { Metadata } from "next";
import { ApiKeysPage } from "~/components/keys/api-keys-page";
import { callOrLogin } from "~/server/api-session";
import { createServerTrpc } from "~/trpc/server";

export const metadata: Metadata = { title: "API keys · KubeServe" };

export default async function KeysRoute() {
  const { trpc, queryClient, dehydrate } = await createServerTrpc("/keys");
  await callOrLogin("/keys", () =>
    queryClient.fetchQuery(trpc.apiKey.list.queryOptions({ includeRevoked: true })),
  );
  return (
    <HydrationBoundary state={dehydrate()}>
      <ApiKeysPage />
    </HydrationBoundary>
  );
}
