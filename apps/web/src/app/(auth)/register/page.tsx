import type { Metadata } from "next";
import Link from "next/link";
import { safeReturnTo } from "~/lib/return-to";
import { RegisterForm } from "./register-form";

export const metadata: Metadata = { title: "Create account · KubeServe" };

type TProps = { searchParams: Promise<Record<string, string | string[] | undefined>> };

export default async function RegisterPage({ searchParams }: TProps) {
  const returnTo = safeReturnTo((await searchParams).callbackUrl);
  return (
    <>
      <h1 className="text-xl font-semibold tracking-tight">Create your account</h1>
      <p className="mt-1 text-sm text-slate-600 dark:text-slate-400">
        Register models, deploy them and call them with your own keys.
      </p>
      <RegisterForm returnTo={returnTo} />
      <p className="mt-6 text-center text-sm text-slate-600 dark:text-slate-400">
        Already registered?{" "}
        <Link
          href="/login"
          className="font-medium text-indigo-600 hover:underline dark:text-indigo-400"
        >
          Sign in
        </Link>
      </p>
    </>
  );
}
