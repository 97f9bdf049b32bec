/** Where the list will be while its first page streams in: the list's frame, so nothing moves after. */
export function ModelListSkeleton() {
  return (
    <div
      role="status"
      aria-label="Loading models"
      className="overflow-hidden rounded-lg border border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900"
    >
      <div className="hidden h-8 border-b border-slate-200 bg-slate-50 sm:block dark:border-slate-800 dark:bg-slate-900/60" />
      <ul className="divide-y divide-slate-100 dark:divide-slate-800">
        {[0, 1, 2].map((row) => (
          <li key={row} className="flex flex-col gap-2 px-4 py-4">
            <span className="h-4 w-40 animate-pulse rounded bg-slate-200 dark:bg-slate-800" />
            <span className="h-3 w-64 max-w-full animate-pulse rounded bg-slate-100 dark:bg-slate-800/60" />
          </li>
        ))}
      </ul>
    </div>
  );
}
