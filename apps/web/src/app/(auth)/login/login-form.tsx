"use client";

import { Button, ErrorNotice, TextField } from "@kubeserve/ui";
import { signIn } from "next-auth/react";
import { useState } from "react";

type TProps = { returnTo: string; demo: { email: string; password: string } | undefined };

export function LoginForm({ returnTo, demo }: TProps) {
  const [error, setError] = useState<string>();
  const [isBusy, setIsBusy] = useState(false);

  async function submit(form: FormData) {
    setIsBusy(true);
    setError(undefined);
    const result = await signIn("credentials", {
      email: String(form.get("email") ?? ""),
      password: String(form.get("password") ?? ""),
      redirect: false,
    });
    if (!result?.ok) {
      setIsBusy(false);
      setError(result?.error ?? "Sign-in failed. Try again.");
      return;
    }
    // A full load: the client router may hold a prefetch of the page from before sign-in (a redirect).
    window.location.assign(returnTo);
  }

  return (
    <form
      className="mt-6 flex flex-col gap-4"
      onSubmit={(event) => {
        event.preventDefault();
        void submit(new FormData(event.currentTarget));
      }}
    >
      {demo ? (
        <p className="rounded-md bg-indigo-50 px-3 py-2 text-sm text-indigo-800 dark:bg-indigo-500/10 dark:text-indigo-200">
          Demo account filled in: press <strong>Sign in</strong>.
        </p>
      ) : null}
      <TextField
        label="Email"
        name="email"
        type="email"
        autoComplete="email"
        required
        defaultValue={demo?.email}
      />
      <TextField
        label="Password"
        name="password"
        type="password"
        autoComplete="current-password"
        required
        defaultValue={demo?.password}
      />
      {error ? <ErrorNotice message={error} /> : null}
      <Button type="submit" isBusy={isBusy} className="w-full">
        Sign in
      </Button>
    </form>
  );
}
