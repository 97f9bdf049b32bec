"use client";

import { Button } from "@kubeserve/ui";
import { hubSortLabels, type THubSort } from "~/lib/hub-input";
import { CreateModelForm } from "./create-model-form";
import { useHubState } from "./hub-state";

/** Title, "New model" and its form: part of the shell, so it answers before the list has arrived. */
export function HubHeader() {
  const { isCreating, setIsCreating } = useHubState();
  return (
    <>
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
    </>
  );
}

export function HubFilters() {
  const { search, setSearch, sort, setSort } = useHubState();
  return (
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
          onChange={(event) => setSearch(event.target.value)}
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
          onChange={(event) => setSort(event.target.value as THubSort)}
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
  );
}
