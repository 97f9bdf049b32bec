"use client";

import { createContext, type ReactNode, useContext, useDeferredValue, useState } from "react";
import type { THubSort } from "~/lib/hub-input";

type THubState = {
  search: string;
  deferredSearch: string;
  sort: THubSort;
  /** Keyset pagination: the cursors of the pages before this one, so "Previous" needs no offset. */
  cursors: (string | undefined)[];
  isCreating: boolean;
  setSearch: (search: string) => void;
  setSort: (sort: THubSort) => void;
  goNext: (cursor: string) => void;
  goPrevious: () => void;
  setIsCreating: (isCreating: boolean) => void;
};

const HubStateContext = createContext<THubState | undefined>(undefined);

/**
 * The hub's state above its streamed list: the header and filters hydrate with the shell, before the
 * first page of models arrives, and the list reads the same search, sort and page.
 */
export function HubStateProvider({ children }: { children: ReactNode }) {
  const [search, setSearchValue] = useState("");
  const [sort, setSortValue] = useState<THubSort>("updated");
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [isCreating, setIsCreating] = useState(false);
  const deferredSearch = useDeferredValue(search);
  const state: THubState = {
    search,
    deferredSearch,
    sort,
    cursors,
    isCreating,
    setSearch: (value) => {
      setSearchValue(value);
      setCursors([undefined]);
    },
    setSort: (value) => {
      setSortValue(value);
      setCursors([undefined]);
    },
    goNext: (cursor) => setCursors((stack) => [...stack, cursor]),
    goPrevious: () => setCursors((stack) => stack.slice(0, -1)),
    setIsCreating,
  };
  return <HubStateContext.Provider value={state}>{children}</HubStateContext.Provider>;
}

export function useHubState(): THubState {
  const state = useContext(HubStateContext);
  if (!state) throw new Error("useHubState outside HubStateProvider");
  return state;
}
