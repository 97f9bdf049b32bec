"use client";

import { Button } from "@kubeserve/ui";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "~/trpc/react";
import { DeployForm } from "./deploy-form";

/** The "Deploy" action of a ready version; the form opens in place. */
export function VersionDeploy({
  versionId,
  modelId,
  tag,
}: {
  versionId: string;
  modelId: string;
  tag: string;
}) {
  const trpc = useTRPC();
  const [isOpen, setIsOpen] = useState(false);
  // Already in the cache from the model page itself.
  const model = useQuery(trpc.model.get.queryOptions({ id: modelId }));
  if (!isOpen) {
    return (
      <Button className="mt-4" onClick={() => setIsOpen(true)} aria-label={`Deploy ${tag}`}>
        Deploy
      </Button>
    );
  }
  return (
    <DeployForm
      versionId={versionId}
      modelName={model.data?.name ?? "model"}
      tag={tag}
      onClose={() => setIsOpen(false)}
    />
  );
}
