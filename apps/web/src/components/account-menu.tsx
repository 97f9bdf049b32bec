"use client";

import Link from "next/link";
import { useEffect, useId, useRef, useState } from "react";

const itemClasses =
  "block rounded-md px-3 py-2 text-sm text-slate-700 hover:bg-slate-100 focus-visible:bg-slate-100 focus-visible:outline-none dark:text-slate-200 dark:hover:bg-slate-800 dark:focus-visible:bg-slate-800";

/** The signed-in account: who you are, your keys, sign out. Closes on Escape and outside clicks. */
export function AccountMenu({ email }: { email: string }) {
  const [isOpen, setIsOpen] = useState(false);
  const menuId = useId();
  const rootRef = useRef<HTMLDivElement>(null);
  const buttonRef = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (!isOpen) return;
    function onKey(event: KeyboardEvent) {
      if (event.key !== "Escape") return;
      setIsOpen(false);
      buttonRef.current?.focus();
    }
    function onPointer(event: PointerEvent) {
      if (!rootRef.current?.contains(event.target as Node)) setIsOpen(false);
    }
    document.addEventListener("keydown", onKey);
    document.addEventListener("pointerdown", onPointer);
    return () => {
      document.removeEventListener("keydown", onKey);
      document.removeEventListener("pointerdown", onPointer);
    };
  }, [isOpen]);

  const initial = email.slice(0, 1).toUpperCase() || "?";
  return (
    <div ref={rootRef} className="relative">
      <button
        ref={buttonRef}
        type="button"
        aria-expanded={isOpen}
        aria-controls={menuId}
        aria-label={`Account menu for ${email}`}
        onClick={() => setIsOpen((open) => !open)}
        className="flex size-8 items-center justify-center rounded-full bg-indigo-600 text-sm font-semibold text-white focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-500"
      >
        {initial}
      </button>
      {isOpen ? (
        <div
          id={menuId}
          className="absolute right-0 z-20 mt-2 w-64 rounded-lg border border-slate-200 bg-white p-1.5 shadow-lg dark:border-slate-700 dark:bg-slate-900"
        >
          <p className="truncate px-3 py-2 text-xs text-slate-500 dark:text-slate-400">
            Signed in as{" "}
            <span className="font-medium text-slate-800 dark:text-slate-100">{email}</span>
          </p>
          <ul className="border-t border-slate-100 pt-1 dark:border-slate-800">
            <li>
              <Link href="/keys" className={itemClasses} onClick={() => setIsOpen(false)}>
                API keys
              </Link>
            </li>
            <li>
              <Link href="/logout" className={itemClasses} onClick={() => setIsOpen(false)}>
                Sign out
              </Link>
            </li>
          </ul>
        </div>
      ) : null}
    </div>
  );
}
