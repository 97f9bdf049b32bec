// @vitest-environment happy-dom
import { act, cleanup, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { HubStateProvider, useHubState } from "./hub-state";

let hub: ReturnType<typeof useHubState> | undefined;

function Probe() {
  hub = useHubState();
  return <span>{`page ${hub.cursors.length} ${hub.sort} "${hub.deferredSearch}"`}</span>;
}

function current() {
  if (!hub) throw new Error("Probe not rendered");
  return hub;
}

afterEach(() => {
  cleanup();
  hub = undefined;
});

describe("HubStateProvider", () => {
  it("keeps a stack of cursors and goes back to page 1 when search or sort changes", async () => {
    render(
      <HubStateProvider>
        <Probe />
      </HubStateProvider>,
    );
    expect(screen.getByText('page 1 updated ""')).toBeTruthy();
    act(() => current().goNext("cursor-a"));
    act(() => current().goNext("cursor-b"));
    expect(current().cursors).toEqual([undefined, "cursor-a", "cursor-b"]);
    act(() => current().goPrevious());
    expect(current().cursors).toEqual([undefined, "cursor-a"]);

    act(() => current().setSort("name"));
    expect(await screen.findByText('page 1 name ""')).toBeTruthy();

    act(() => current().goNext("cursor-c"));
    act(() => current().setSearch("iris"));
    expect(await screen.findByText('page 1 name "iris"')).toBeTruthy();
  });

  it("refuses to be read outside the provider", () => {
    expect(() => render(<Probe />)).toThrow("useHubState outside HubStateProvider");
  });
});
