import { buttonClasses } from "@kubeserve/ui";
import Link from "next/link";

export default function NotFound() {
  return (
    <main className="flex min-h-[70vh] flex-col items-center justify-center gap-4 px-4 text-center">
      <p className="text-sm font-semibold text-indigo-600 dark:text-indigo-400">404</p>
      <h1 className="text-2xl font-semibold tracking-tight">Not found</h1>
      <p className="max-w-md text-sm text-slate-600 dark:text-slate-400">
        This page does not exist, or it belongs to an account you are not signed in to.
      </p>
      <Link href="/" className={buttonClasses("primary")}>
        Back to your models
      </Link>
    </main>
  );
}
