"use client";

import { Button, ErrorNotice, TextField } from "@kubeserve/ui";
import { signIn } from "next-auth/react";
import { useState } from "react";
import { registerAccount } from "./actions";

type TState = { message?: string; fieldErrors: Record<string, string> };

export function RegisterForm({ returnTo }: { returnTo: string }) {
  const [state, setState] = useState<TState>({ fieldErrors: {} });
  const [isBusy, setIsBusy] = useState(false);

  async function submit(form: FormData) {
    const input = {
      name: String(form.get("name") ?? ""),
      email: String(form.get("email") ?? ""),
      password: String(form.get("password") ?? ""),
    };
    setIsBusy(true);
    setState({ fieldErrors: {} });
    const result = await registerAccount(input);
    if (!result.ok) {
      setIsBusy(false);
      // A message tied to a field shows under it; anything else (a taken email, a limit) above the button.
      const isFieldOnly = Object.keys(result.fieldErrors).length > 0;
      setState({
        message: isFieldOnly ? undefined : result.message,
        fieldErrors: result.fieldErrors,
      });
      return;
    }
    const login = await signIn("credentials", { ...input, redirect: false });
    if (!login?.ok) {
      setIsBusy(false);
      setState({
        message: login?.error ?? "Account created, but sign-in failed.",
        fieldErrors: {},
      });
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
      <TextField
        label="Name (optional)"
        name="name"
        autoComplete="name"
        error={state.fieldErrors.name}
      />
      <TextField
        label="Email"
        name="email"
        type="email"
        autoComplete="email"
        required
        error={state.fieldErrors.email}
      />
      <TextField
        label="Password"
        name="password"
        type="password"
        autoComplete="new-password"
        required
        hint="At least 10 characters."
        error={state.fieldErrors.password}
      />
      {state.message ? <ErrorNotice message={state.message} /> : null}
      <Button type="submit" isBusy={isBusy} className="w-full">
        Create account
      </Button>
    </form>
  );
}
