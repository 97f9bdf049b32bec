"use client";

import { Button, EmptyState, ErrorNotice } from "@kubeserve/ui";
import { useQuery } from "@tanstack/react-query";
import { type ReactNode, useState } from "react";
import { readApiErrorMessage } from "~/lib/api-error";
import { pollInterval, useIsUploading } from "~/lib/polling";
import { versionPageInput } from "~/lib/version-input";
import { useTRPC } from "~/trpc/react";
import { VersionCard } from "./version-card";

type TPageProps = {
  modelId: string;
  cursor: string | undefined;
  isLast: boolean;
  onMore: (cursor: string) => void;
  emptyAction?: ReactNode;
};

// Each page is its own keyset query (newest first), so "older" pages stay put while the first one polls.
function VersionPage({ modelId, cursor, isLast, onMore, emptyAction }: TPageProps) {
  const trpc = useTRPC();
  const isUploading = useIsUploading();
  const page = useQuery(
    trpc.version.list.queryOptions(versionPageInput(modelId, cursor), {
      refetchInterval: () => pollInterval(undefined, isUploading),
    }),
  );
  if (page.error) {
    return (
      <ErrorNotice
        title="Could not load versions"
        message={readApiErrorMessage(page.error)}
        action={
          <Button variant="secondary" onClick={() => void page.refetch()}>
            Retry
          </Button>
        }
      />
    );
  }
  if (!page.data) return null;
  if (cursor === undefined && page.data.items.length === 0) {
    return (
      <EmptyState title="No versions yet" action={emptyAction}>
        A version is one trained artifact of this model. Create it with a tag like <code>v1</code>,
        upload the ONNX or scikit-learn file, and its signature appears here, ready to deploy.
      </EmptyState>
    );
  }
  const next = page.data.nextCursor;
  return (
    <>
      <ul className="flex flex-col gap-3">
        {page.data.items.map((version) => (
          <VersionCard key={version.id} version={version} />
        ))}
      </ul>
      {isLast && next ? (
        <Button variant="secondary" onClick={() => onMore(next)} className="self-center">
          Show older versions
        </Button>
      ) : null}
    </>
  );
}

export function VersionPages({
  modelId,
  emptyAction,
}: {
  modelId: string;
  emptyAction?: ReactNode;
}) {
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  return (
    <div className="flex flex-col gap-3">
      {cursors.map((cursor, index) => (
        <VersionPage
          key={cursor ?? "first"}
          modelId={modelId}
          cursor={cursor}
          isLast={index === cursors.length - 1}
          onMore={(next) => setCursors((list) => [...list, next])}
          emptyAction={emptyAction}
        />
      ))}
    </div>
  );
}
