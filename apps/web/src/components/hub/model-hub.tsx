"use client";

import { Button, EmptyState, ErrorNotice } from "@kubeserve/ui";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useDeferredValue, useState } from "react";
import { readApiErrorMessage } from "~/lib/api-error";
import { hubListInput, hubSortLabels, type THubSort } from "~/lib/hub-input";
import { pollInterval, useIsUploading } from "~/lib/polling";
import { useTRPC } from "~/trpc/react";
import { CreateModelForm } from "./create-model-form";
import { ModelList } from "./model-list";

export function ModelHub() {
  const trpc = useTRPC();
  const [search, setSearch] = useState("");
  const [sort, setSort] = useState<THubSort>("updated");
  // Keyset pagination: the cursors of the pages before this one, so "Previous" needs no offset.
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [isCreating, setIsCreating] = useState(false);
  const deferredSearch = useDeferredValue(search);
  const isUploading = useIsUploading();
  const cursor = cursors.at(-1);
  const input = hubListInput({ search: deferredSearch, sort, cursor });

  const list = useQuery(
    trpc.model.list.queryOptions(input, {
      placeholderData: keepPreviousData,
      // 30 s when idle, 2 s while something moves; react-query pauses it while the tab is hidden.
      refetchInterval: (query) => pollInterval(query.state.data?.items, isUploading),
      refetchIntervalInBackground: false,
    }),
  );

  const resetPages = () => setCursors([undefined]);
  const items = list.data?.items ?? [];
  const isFiltered = deferredSearch.trim() !== "";

  return (
    <div className="flex flex-col gap-6">
      <div className="flex flex-wrap items-end justify-between gap-4">
        <div>
          <h1 className="text-2xl font-semibold tracking-tight">Models</h1>
          <p className="mt-1 text-sm text-slate-600 dark:text-slate-400">
            Every model you registered, its newest version and where it runs.
          </p>
        </div>
        <Button onClick={() => setIsCreating(true)} aria-expanded={isCreating}>
          New model
        </Button>
      </div>

      {isCreating ? <CreateModelForm onClose={() => setIsCreating(false)} /> : null}

      <div className="flex flex-col gap-3 sm:flex-row sm:items-center">
        <div className="flex-1">
          <label htmlFor="model-search" className="sr-only">
            Search models
          </label>
          <input
            id="model-search"
            type="search"
            placeholder="Search by name…"
            value={search}
            onChange={(event) => {
              setSearch(event.target.value);
              resetPages();
            }}
            className="h-9 w-full rounded-md border border-slate-300 bg-white px-3 text-sm focus-visible:outline-2 focus-visible:outline-offset-1 focus-visible:outline-indigo-500 dark:border-slate-700 dark:bg-slate-900"
          />
        </div>
        <div className="flex items-center gap-2">
          <label htmlFor="model-sort" className="text-sm text-slate-600 dark:text-slate-400">
            Sort
          </label>
          <select
            id="model-sort"
            value={sort}
            onChange={(event) => {
              setSort(event.target.value as THubSort);
              resetPages();
            }}
            className="h-9 rounded-md border border-slate-300 bg-white px-2 text-sm focus-visible:outline-2 focus-visible:outline-indigo-500 dark:border-slate-700 dark:bg-slate-900"
          >
            {Object.entries(hubSortLabels).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </div>
      </div>

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
          <Button
            variant="secondary"
            disabled={cursors.length === 1}
            onClick={() => setCursors((stack) => stack.slice(0, -1))}
          >
            Previous
          </Button>
          <span className="text-sm text-slate-500">Page {cursors.length}</span>
          <Button
            variant="secondary"
            disabled={!list.data?.nextCursor}
            onClick={() => {
              const next = list.data?.nextCursor;
              if (next) setCursors((stack) => [...stack, next]);
            }}
          >
            Next
          </Button>
        </nav>
      ) : null}
    </div>
  );
}
