"use client";

import type { AppRouter } from "@kubeserve/api";
import { QueryClientProvider } from "@tanstack/react-query";
import { createTRPCClient, httpBatchLink } from "@trpc/client";
import { createTRPCContext } from "@trpc/tanstack-react-query";
import { type ReactNode, useState } from "react";
import { isUnauthorized } from "~/lib/api-error";
import { makeQueryClient } from "./query-client";

export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>();

/** The API no longer accepts this session (expired, revoked): sign in again, then come back here. */
function returnToLogin(error: unknown) {
  if (!isUnauthorized(error)) return;
  const here = `${window.location.pathname}${window.location.search}`;
  // A full load on purpose: the whole client state belonged to the session that ended.
  // eslint-disable-next-line @next/next/no-location-assign-relative-destination
  window.location.assign(`/login?callbackUrl=${encodeURIComponent(here)}&expired=1`);
}

export function TRPCReactProvider({ children }: { children: ReactNode }) {
  const [queryClient] = useState(() => makeQueryClient(returnToLogin));
  const [trpcClient] = useState(() =>
    createTRPCClient<AppRouter>({
      // Same-origin: the dashboard's server adds the API token (src/server/trpc-proxy.ts).
      links: [httpBatchLink({ url: "/api/trpc", maxItems: 20 })],
    }),
  );
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        {children}
      </TRPCProvider>
    </QueryClientProvider>
  );
}
