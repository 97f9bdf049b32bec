import type { ReactNode } from "react";

export type TErrorNoticeProps = { title?: string; message: string; action?: ReactNode };

/** An API error shown where the thing that failed is, in the API's words. */
export function ErrorNotice({ title, message, action }: TErrorNoticeProps) {
  return (
    <div
      role="alert"
      className="flex flex-wrap items-start justify-between gap-3 rounded-md border border-rose-200 bg-rose-50 px-3 py-2.5 text-sm text-rose-800 dark:border-rose-900 dark:bg-rose-950/50 dark:text-rose-200"
    >
      <p>
        {title ? <span className="font-semibold">{title}: </span> : null}
        {message}
      </p>
      {action}
    </div>
  );
}

export type TEmptyStateProps = { title: string; children: ReactNode; action?: ReactNode };

/** What to do next when there is nothing to show yet. */
export function EmptyState({ title, children, action }: TEmptyStateProps) {
  return (
    <div className="flex flex-col items-center gap-3 rounded-lg border border-dashed border-slate-300 px-6 py-12 text-center dark:border-slate-700">
      <h3 className="text-base font-semibold text-slate-900 dark:text-slate-100">{title}</h3>
      <div className="max-w-md text-sm text-slate-600 dark:text-slate-400">{children}</div>
      {action}
    </div>
  );
}
