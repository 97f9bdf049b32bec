import type { ReactNode } from "react";
import { AppHeader } from "~/components/app-header";
import { readApiSession } from "~/server/api-session";
import { TRPCReactProvider } from "~/trpc/react";

export const dynamic = "force-dynamic";

export default async function AppLayout({ children }: { children: ReactNode }) {
  // The proxy has already sent visitors without a live session to login.
  const session = await readApiSession();
  return (
    <TRPCReactProvider>
      <a
        href="#main"
        className="sr-only focus:not-sr-only focus:fixed focus:top-2 focus:left-2 focus:z-50 focus:rounded-md focus:bg-white focus:px-3 focus:py-2 focus:shadow dark:focus:bg-slate-900"
      >
        Skip to content
      </a>
      <AppHeader email={session?.email ?? ""} />
      <main id="main" className="mx-auto w-full max-w-6xl px-4 py-8 sm:px-6">
        {children}
      </main>
    </TRPCReactProvider>
  );
}
