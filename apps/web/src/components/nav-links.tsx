"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";

const links = [
  {
    href: "/",
    label: "Models",
    isActive: (path: string) => path === "/" || path.startsWith("/models"),
  },
  {
    href: "/deployments",
    label: "Deployments",
    isActive: (path: string) => path.startsWith("/deployments"),
  },
  { href: "/keys", label: "API keys", isActive: (path: string) => path.startsWith("/keys") },
];

export function NavLinks() {
  const pathname = usePathname();
  return (
    <nav aria-label="Main" className="flex items-center gap-1">
      {links.map((link) => {
        const isActive = link.isActive(pathname);
        return (
          <Link
            key={link.href}
            href={link.href}
            // Every app route is rendered per request: a viewport prefetch right after hydration would run
            // two server renders per link while the user reaches for the page's first control.
            prefetch={false}
            aria-current={isActive ? "page" : undefined}
            className={`rounded-md px-2.5 py-1.5 text-sm font-medium whitespace-nowrap focus-visible:outline-2 focus-visible:outline-indigo-500 ${
              isActive
                ? "bg-slate-100 text-slate-900 dark:bg-slate-800 dark:text-white"
                : "text-slate-600 hover:text-slate-900 dark:text-slate-400 dark:hover:text-white"
            }`}
          >
            {link.label}
          </Link>
        );
      })}
    </nav>
  );
}
