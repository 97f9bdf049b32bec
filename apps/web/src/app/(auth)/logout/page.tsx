import type { Metadata } from "next";
import { LogoutButton } from "./logout-button";

export const metadata: Metadata = { title: "Sign out · KubeServe" };

export default function LogoutPage() {
  return (
    <>
      <h1 className="text-xl font-semibold tracking-tight">Sign out</h1>
      <p className="mt-1 text-sm text-slate-600 dark:text-slate-400">
        Signing out ends this session on the API too. Your API keys keep working until you revoke
        them.
      </p>
      <LogoutButton />
    </>
  );
}
