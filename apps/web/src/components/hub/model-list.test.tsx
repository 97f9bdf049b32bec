// @vitest-environment happy-dom
import { QueryClient, QueryClientProvider, useQuery } from "@tanstack/react-query";
import { act, cleanup, fireEvent, render, screen } from "@testing-library/react";
import type * as TUi from "@kubeserve/ui";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { TModelListItem } from "./model-row";

// Counts how often each row's status badge renders: a row that re-renders renders its badge again.
const badgeRenders = vi.hoisted(() => new Map<string, number>());
vi.mock("@kubeserve/ui", async (importOriginal) => {
  const ui = await importOriginal<typeof TUi>();
  return {
    ...ui,
    StatusBadge: (props: Parameters<typeof ui.StatusBadge>[0]) => {
      badgeRenders.set(props.label, (badgeRenders.get(props.label) ?? 0) + 1);
      return ui.StatusBadge(props);
    },
  };
});
vi.mock("next/link", () => ({
  default: ({
    href,
    children,
    prefetch: _prefetch,
    ...rest
  }: {
    href: string;
    children: React.ReactNode;
    prefetch?: boolean;
  }) => (
    <a href={href} {...rest}>
      {children}
    </a>
  ),
}));

const router = { prefetch: vi.fn() };
vi.mock("next/navigation", () => ({ useRouter: () => router }));

const { ModelList } = await import("./model-list");

function item(name: string, status: "ready" | "failed" | "pending_upload"): TModelListItem {
  return {
    id: `00000000-0000-7000-8000-${name.padStart(12, "0").slice(-12)}`,
    ownerId: "00000000-0000-7000-8000-000000000001",
    name,
    description: `${name} model`,
    tags: [],
    versionCount: 1,
    deployments: [],
    createdAt: "2026-12-01T10:00:00.000Z",
    updatedAt: "2026-12-01T10:00:00.000Z",
    latestVersion: {
      id: `00000000-0000-7000-9000-${name.padStart(12, "0").slice(-12)}`,
      tag: `${name}-v1`,
      framework: "onnx",
      status,
      createdAt: "2026-12-01T10:00:00.000Z",
    },
  };
}

// What the "server" returns on each poll: fresh objects every time, as JSON over HTTP would be.
let served: TModelListItem[] = [];

function Hub() {
  const list = useQuery({
    queryKey: ["models"],
    queryFn: () => Promise.resolve(JSON.parse(JSON.stringify(served)) as TModelListItem[]),
  });
  return list.data ? <ModelList items={list.data} isRefreshing={false} /> : null;
}

afterEach(cleanup);

describe("ModelList under polling", () => {
  it("re-renders only the rows whose data changed", async () => {
    served = [item("alpha", "ready"), item("bravo", "pending_upload")];
    const queryClient = new QueryClient();
    render(
      <QueryClientProvider client={queryClient}>
        <Hub />
      </QueryClientProvider>,
    );
    await screen.findByText("alpha");
    expect(Object.fromEntries(badgeRenders)).toEqual({ ready: 1, "awaiting upload": 1 });

    // A poll that returns identical data: nothing re-renders.
    await act(() => queryClient.refetchQueries({ queryKey: ["models"] }));
    expect(Object.fromEntries(badgeRenders)).toEqual({ ready: 1, "awaiting upload": 1 });

    // bravo's version fails: only bravo's row renders again.
    served = [item("alpha", "ready"), item("bravo", "failed")];
    await act(() => queryClient.refetchQueries({ queryKey: ["models"] }));
    expect(await screen.findByText("failed")).toBeTruthy();
    expect(Object.fromEntries(badgeRenders)).toEqual({ ready: 1, "awaiting upload": 1, failed: 1 });
  });

  it("prefetches a model's page on hover or focus, not on sight", async () => {
    served = [item("charlie", "ready")];
    router.prefetch.mockClear();
    render(
      <QueryClientProvider client={new QueryClient()}>
        <Hub />
      </QueryClientProvider>,
    );
    const link = await screen.findByRole("link", { name: "charlie" });
    expect(router.prefetch).not.toHaveBeenCalled();
    fireEvent.mouseEnter(link);
    fireEvent.focus(link);
    expect(router.prefetch).toHaveBeenCalledWith(link.getAttribute("href"));
  });
});
