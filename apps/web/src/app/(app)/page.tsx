import { HydrationBoundary } from "@tanstack/react-query";
import type { Metadata } from "next";
import { Suspense } from "react";
import { HubFilters, HubHeader } from "~/components/hub/hub-header";
import { HubResults } from "~/components/hub/hub-results";
import { HubStateProvider } from "~/components/hub/hub-state";
import { ModelListSkeleton } from "~/components/hub/model-list-skeleton";
import { hubListInput } from "~/lib/hub-input";
import { callOrLogin } from "~/server/api-session";
import { createServerTrpc } from "~/trpc/server";

export const metadata: Metadata = { title: "Models · KubeServe" };

/** The first page of models, fetched on the server and streamed in after the shell. */
async function HubFirstPage() {
  const { trpc, queryClient, dehydrate } = await createServerTrpc("/");
  // Arrives rendered and hydrated into react-query: no spinner after hydration, no second round trip.
  await callOrLogin("/", () =>
    queryClient.fetchQuery(
      trpc.model.list.queryOptions(
        hubListInput({ search: "", sort: "updated", cursor: undefined }),
      ),
    ),
  );
  return (
    <HydrationBoundary state={dehydrate()}>
      <HubResults />
    </HydrationBoundary>
  );
}

export default function HubPage() {
  // The shell (header, "New model", filters) goes out before the API answers; the list streams in.
  return (
    <HubStateProvider>
      <div className="flex flex-col gap-6">
        <HubHeader />
        <HubFilters />
        <Suspense fallback={<ModelListSkeleton />}>
          <HubFirstPage />
        </Suspense>
      </div>
    </HubStateProvider>
  );
}
