import { HydrationBoundary } from "@tanstack/react-query";
import type { Metadata } from "next";
import { DeploymentList } from "~/components/deploy/deployment-list";
import { callOrLogin } from "~/server/api-session";
import { createServerTrpc } from "~/trpc/server";

export const metadata: Metadata = { title: "Deployments · KubeServe" };

export default async function DeploymentsRoute() {
  const { trpc, queryClient, dehydrate } = await createServerTrpc("/deployments");
  await callOrLogin("/deployments", () =>
    queryClient.fetchQuery(trpc.deployment.list.queryOptions({ limit: 50 })),
  );
  return (
    <HydrationBoundary state={dehydrate()}>
      <DeploymentList />
    </HydrationBoundary>
  );
}
