"use client";

import { Button, buttonClasses } from "@kubeserve/ui";
import { signOut } from "next-auth/react";
import Link from "next/link";
import { useState } from "react";

export function LogoutButton() {
  const [isBusy, setIsBusy] = useState(false);
  return (
    <div className="mt-6 flex gap-3">
      <Button
        isBusy={isBusy}
        onClick={() => {
          setIsBusy(true);
          void signOut({ callbackUrl: "/login" });
        }}
      >
        Sign out
      </Button>
      <Link href="/" className={buttonClasses("secondary")}>
        Cancel
      </Link>
    </div>
  );
}
