import type { RouterInputs } from "@kubeserve/api";

export type THubSort = "updated" | "name" | "name-desc" | "oldest";
export type TModelListInput = RouterInputs["model"]["list"];

export const hubPageSize = 20;

export const hubSortLabels: Record<THubSort, string> = {
  updated: "Recently updated",
  oldest: "Least recently updated",
  name: "Name A–Z",
  "name-desc": "Name Z–A",
};

/** The one place the hub's state becomes model.list input, so the server prefetch and the page agree. */
export function hubListInput(state: {
  search: string;
  sort: THubSort;
  cursor: string | undefined;
}): NonNullable<TModelListInput> {
  const search = state.search.trim().toLowerCase();
  const sort = {
    updated: { sortBy: "updatedAt", sortDir: "desc" },
    oldest: { sortBy: "updatedAt", sortDir: "asc" },
    name: { sortBy: "name", sortDir: "asc" },
    "name-desc": { sortBy: "name", sortDir: "desc" },
  } as const;
  return {
    limit: hubPageSize,
    ...sort[state.sort],
    ...(search ? { search } : {}),
    ...(state.cursor ? { cursor: state.cursor } : {}),
  };
}
