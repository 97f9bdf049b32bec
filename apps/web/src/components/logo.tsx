import Link from "next/link";

/** Drawn inline: no image request, no layout shift, nothing fetched from the internet. */
type TLogoProps = { href?: string; isPrefetched?: boolean; isCompactOnPhones?: boolean };

export function Logo({ href = "/", isPrefetched = true, isCompactOnPhones = false }: TLogoProps) {
  return (
    <Link
      href={href}
      prefetch={isPrefetched ? undefined : false}
      className="inline-flex items-center gap-2 rounded-md text-slate-900 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-500 dark:text-white"
    >
      <svg
        aria-hidden="true"
        viewBox="0 0 24 24"
        className="size-7 text-indigo-600 dark:text-indigo-400"
      >
        <path
          fill="currentColor"
          d="M12 2 3 7v10l9 5 9-5V7l-9-5Zm0 2.3 6.8 3.8L12 11.9 5.2 8.1 12 4.3ZM5 9.8l6 3.4v6.6l-6-3.4V9.8Zm8 10v-6.6l6-3.4v6.6l-6 3.4Z"
        />
      </svg>
      <span
        className={`text-lg font-semibold tracking-tight ${isCompactOnPhones ? "max-sm:sr-only" : ""}`}
      >
        KubeServe
      </span>
    </Link>
  );
}
