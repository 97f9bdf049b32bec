import type { AppRouter } from "@kubeserve/api";
import { dehydrate } from "@tanstack/react-query";
import { createTRPCOptionsProxy } from "@trpc/tanstack-react-query";
import { requireServerApi } from "~/server/api-session";
import { makeQueryClient } from "./query-client";

/**
 * Server-side tRPC for a page's first render: prefetch with `trpc.x.queryOptions(...)` on the returned
 * query client, then hand `dehydrate(queryClient)` to a HydrationBoundary so the page arrives with data.
 */
export async function createServerTrpc(returnTo: string) {
  const client = await requireServerApi(returnTo);
  const queryClient = makeQueryClient();
  const trpc = createTRPCOptionsProxy<AppRouter>({ client, queryClient });
  return { trpc, queryClient, client, dehydrate: () => dehydrate(queryClient) };
}
