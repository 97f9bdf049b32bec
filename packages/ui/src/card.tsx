import type { ReactNode } from "react";

export type TCardProps = { title?: string; actions?: ReactNode; children: ReactNode };

export function Card({ title, actions, children }: TCardProps) {
  return (
    <section className="rounded-lg border border-slate-200 bg-white p-5 shadow-xs dark:border-slate-800 dark:bg-slate-900">
      {title || actions ? (
        <div className="mb-4 flex flex-wrap items-center justify-between gap-2">
          {title ? (
            <h2 className="text-base font-semibold text-slate-900 dark:text-slate-100">{title}</h2>
          ) : null}
          {actions}
        </div>
      ) : null}
      {children}
    </section>
  );
}
