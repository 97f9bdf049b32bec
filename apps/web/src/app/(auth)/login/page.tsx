import type { Metadata } from "next";
import Link from "next/link";
import { readWebConfig } from "~/config";
import { safeReturnTo } from "~/lib/return-to";
import { LoginForm } from "./login-form";

export const metadata: Metadata = { title: "Sign in · KubeServe" };
export const dynamic = "force-dynamic";

type TProps = { searchParams: Promise<Record<string, string | string[] | undefined>> };

export default async function LoginPage({ searchParams }: TProps) {
  const params = await searchParams;
  const returnTo = safeReturnTo(params.callbackUrl);
  const { demo } = readWebConfig();
  const isExpired = params.expired === "1";
  return (
    <>
      <h1 className="text-xl font-semibold tracking-tight">Sign in</h1>
      <p className="mt-1 text-sm text-slate-600 dark:text-slate-400">
        {isExpired
          ? "Your session has ended. Sign in to continue where you were."
          : "Welcome back. Sign in to your models and deployments."}
      </p>
      <LoginForm returnTo={returnTo} demo={demo} />
      <p className="mt-6 text-center text-sm text-slate-600 dark:text-slate-400">
        No account yet?{" "}
        <Link
          href={
            returnTo === "/" ? "/register" : `/register?callbackUrl=${encodeURIComponent(returnTo)}`
          }
          className="font-medium text-indigo-600 hover:underline dark:text-indigo-400"
        >
          Create one
        </Link>
      </p>
    </>
  );
}
