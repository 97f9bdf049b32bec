// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { HubStateProvider, useHubState } from "./hub-state";

// Drives the shared state the way the header, filters and pager do, and shows what the list would read.
function Probe() {
  const hub = useHubState();
  return (
    <>
      <output>{`page ${hub.cursors.length} ${hub.sort} "${hub.deferredSearch}" ${hub.cursors.at(-1) ?? "-"}`}</output>
      <button onClick={() => hub.goNext(`cursor-${hub.cursors.length}`)}>next</button>
      <button onClick={hub.goPrevious}>previous</button>
      <button onClick={() => hub.setSort("name")}>sort</button>
      <button onClick={() => hub.setSearch("iris")}>search</button>
    </>
  );
}

const click = (name: string) => fireEvent.click(screen.getByRole("button", { name }));

afterEach(cleanup);

describe("HubStateProvider", () => {
  it("keeps a stack of cursors and goes back to page 1 when search or sort changes", async () => {
    render(
      <HubStateProvider>
        <Probe />
      </HubStateProvider>,
    );
    expect(screen.getByText('page 1 updated "" -')).toBeTruthy();
    click("next");
    click("next");
    expect(screen.getByText('page 3 updated "" cursor-2')).toBeTruthy();
    click("previous");
    expect(screen.getByText('page 2 updated "" cursor-1')).toBeTruthy();

    click("sort");
    expect(screen.getByText('page 1 name "" -')).toBeTruthy();

    click("next");
    click("search");
    expect(await screen.findByText('page 1 name "iris" -')).toBeTruthy();
  });

  it("refuses to be read outside the provider", () => {
    expect(() => render(<Probe />)).toThrow("useHubState outside HubStateProvider");
  });
});
