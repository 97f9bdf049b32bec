import { HydrationBoundary } from "@tanstack/react-query";
import type { Metadata } from "next";
import { ModelHub } from "~/components/hub/model-hub";
import { hubListInput } from "~/lib/hub-input";
import { callOrLogin } from "~/server/api-session";
import { createServerTrpc } from "~/trpc/server";

export const metadata: Metadata = { title: "Models · KubeServe" };

export default async function HubPage() {
  const { trpc, queryClient, dehydrate } = await createServerTrpc("/");
  // The first page arrives rendered: no spinner, no layout shift, no extra round trip.
  await callOrLogin("/", () =>
    queryClient.fetchQuery(
      trpc.model.list.queryOptions(
        hubListInput({ search: "", sort: "updated", cursor: undefined }),
      ),
    ),
  );
  return (
    <HydrationBoundary state={dehydrate()}>
      <ModelHub />
    </HydrationBoundary>
  );
}
