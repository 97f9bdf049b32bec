import { HydrationBoundary } from "@tanstack/react-query";
import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { DeploymentPage } from "~/components/deploy/deployment-page";
import { isNotFound } from "~/lib/api-error";
import { readGrafana } from "~/lib/grafana";
import { callOrLogin } from "~/server/api-session";
import { readWebConfig } from "~/config";
import { createServerTrpc } from "~/trpc/server";

type TProps = { params: Promise<{ id: string }> };

export const metadata: Metadata = { title: "Deployment · KubeServe" };

export default async function DeploymentRoute({ params }: TProps) {
  const { id } = await params;
  const returnTo = `/deployments/${encodeURIComponent(id)}`;
  const { trpc, queryClient, dehydrate } = await createServerTrpc(returnTo);
  let deployment;
  try {
    // Another user's deployment, a deleted one and a malformed id all read as not found.
    deployment = await callOrLogin(returnTo, () =>
      queryClient.fetchQuery(trpc.deployment.get.queryOptions({ id })),
    );
  } catch (error) {
    if (isNotFound(error)) notFound();
    throw error;
  }
  await Promise.all([
    queryClient.prefetchQuery(trpc.model.get.queryOptions({ id: deployment.modelId })),
    queryClient.prefetchQuery(trpc.version.get.queryOptions({ id: deployment.versionId })),
  ]);
  const me = await queryClient.fetchQuery(trpc.auth.me.queryOptions()).catch(() => undefined);
  return (
    <HydrationBoundary state={dehydrate()}>
      <DeploymentPage
        deploymentId={id}
        grafana={readGrafana(readWebConfig().grafanaUrl, me?.user.role === "admin")}
      />
    </HydrationBoundary>
  );
}
