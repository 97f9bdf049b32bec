// @vitest-environment happy-dom
import type { AppRouter } from "@kubeserve/api";
import { QueryClientProvider } from "@tanstack/react-query";
import { createTRPCClient, httpBatchLink } from "@trpc/client";
import { createTRPCOptionsProxy } from "@trpc/tanstack-react-query";
import { cleanup, render, screen, waitFor } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { makeQueryClient } from "~/trpc/query-client";
import { TRPCProvider } from "~/trpc/react";
import { LogsTail } from "./logs-tail";

const deploymentId = "0190a000-0000-7000-8000-0000000000d1";
const time = Date.UTC(2026, 11, 3, 12, 0, 1, 250);
const served = [
  {
    replicaId: "r-14a0b883aaaa",
    lines: [
      JSON.stringify({ level: 30, time, pid: 1, hostname: "h", port: 41000, msg: "listening" }),
      "plain text line",
    ],
  },
];

// The API over real tRPC HTTP framing; each answer waits until the test releases it.
const fetchMock = vi.fn<typeof fetch>();
let release: () => void = () => {};

async function answer() {
  await waitFor(() => expect(fetchMock).toHaveBeenCalled());
  release();
}

function renderTail(seed?: (typeof served)[number][]) {
  const queryClient = makeQueryClient();
  const trpcClient = createTRPCClient<AppRouter>({
    links: [httpBatchLink({ url: "http://dashboard.test/api/trpc", fetch: fetchMock })],
  });
  if (seed) {
    const trpc = createTRPCOptionsProxy<AppRouter>({ client: trpcClient, queryClient });
    queryClient.setQueryData(trpc.deployment.logs.queryKey({ id: deploymentId, lines: 200 }), seed);
  }
  return render(
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        <LogsTail deploymentId={deploymentId} isMoving={false} />
      </TRPCProvider>
    </QueryClientProvider>,
  );
}

beforeEach(() => {
  fetchMock.mockReset();
  fetchMock.mockImplementation(
    () =>
      new Promise((resolve) => {
        release = () => resolve(Response.json([{ result: { data: served } }]));
      }),
  );
});
afterEach(cleanup);

describe("LogsTail", () => {
  it("says it is loading, not '(no output yet)', until the first answer", async () => {
    renderTail();
    expect(await screen.findByText("Loading logs…")).toBeTruthy();
    expect(screen.queryByText("(no output yet)")).toBeNull();
    await answer();
    const panel = await screen.findByLabelText("Logs of r-14a0b883aaaa");
    expect(screen.queryByText("Loading logs…")).toBeNull();
    expect(panel.textContent).toContain("plain text line");
  });

  it("asks at once on opening even when an earlier visit left an empty answer in the cache", async () => {
    renderTail([{ replicaId: "r-14a0b883aaaa", lines: [] }]);
    await waitFor(() => expect(fetchMock).toHaveBeenCalledTimes(1));
    expect(screen.getByText("Loading logs…")).toBeTruthy();
    expect(screen.queryByText("(no output yet)")).toBeNull();
    release();
    await waitFor(() =>
      expect(screen.getByLabelText("Logs of r-14a0b883aaaa").textContent).toContain("listening"),
    );
  });

  it("shows JSON lines as time, level, message and fields; other lines as they came", async () => {
    renderTail();
    await answer();
    const panel = await screen.findByLabelText("Logs of r-14a0b883aaaa");
    const [first, second] = [...panel.children].map((line) => line.textContent);
    expect(first).toMatch(/^\d\d:\d\d:01\.250 info listening port=41000$/);
    expect(second).toBe("plain text line");
    expect(panel.textContent).not.toContain('"level"');
  });
});
