"use client";

import { Button, EmptyState, ErrorNotice } from "@kubeserve/ui";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { readApiErrorMessage } from "~/lib/api-error";
import { hubListInput } from "~/lib/hub-input";
import { pollInterval, useIsUploading } from "~/lib/polling";
import { useTRPC } from "~/trpc/react";
import { useHubState } from "./hub-state";
import { ModelList } from "./model-list";

/** The list, its empty states and pages; streamed in below the shell with its first page hydrated. */
export function HubResults() {
  const trpc = useTRPC();
  const { deferredSearch, sort, cursors, goNext, goPrevious, setIsCreating } = useHubState();
  const isUploading = useIsUploading();
  const input = hubListInput({ search: deferredSearch, sort, cursor: cursors.at(-1) });

  const list = useQuery(
    trpc.model.list.queryOptions(input, {
      placeholderData: keepPreviousData,
      // 30 s when idle, 2 s while something moves; react-query pauses it while the tab is hidden.
      refetchInterval: (query) => pollInterval(query.state.data?.items, isUploading),
      refetchIntervalInBackground: false,
    }),
  );

  const items = list.data?.items ?? [];
  const isFiltered = deferredSearch.trim() !== "";

  return (
    <>
      {list.error ? (
        <ErrorNotice
          title="Could not load models"
          message={readApiErrorMessage(list.error)}
          action={
            <Button variant="secondary" onClick={() => void list.refetch()}>
              Retry
            </Button>
          }
        />
      ) : null}

      {list.data && items.length === 0 && !isFiltered && cursors.length === 1 ? (
        <EmptyState
          title="Register your first model"
          action={<Button onClick={() => setIsCreating(true)}>Create a model</Button>}
        >
          A model is a named entry in your registry. Create one, add a version and upload its ONNX
          or scikit-learn file, then deploy it to get an authenticated prediction URL.
        </EmptyState>
      ) : list.data && items.length === 0 ? (
        <EmptyState title="No models match">
          Nothing is named like “{deferredSearch.trim()}”. Try a shorter part of the name.
        </EmptyState>
      ) : items.length > 0 ? (
        <ModelList items={items} isRefreshing={list.isFetching} />
      ) : null}

      {cursors.length > 1 || list.data?.nextCursor ? (
        <nav aria-label="Pages" className="flex items-center justify-end gap-2">
          <Button variant="secondary" disabled={cursors.length === 1} onClick={goPrevious}>
            Previous
          </Button>
          <span className="text-sm text-slate-500">Page {cursors.length}</span>
          <Button
            variant="secondary"
            disabled={!list.data?.nextCursor}
            onClick={() => {
              const next = list.data?.nextCursor;
              if (next) goNext(next);
            }}
          >
            Next
          </Button>
        </nav>
      ) : null}
    </>
  );
}
