export type TStatusTone = "ok" | "warn" | "error" | "neutral";

const toneClasses: Record<TStatusTone, string> = {
  ok: "bg-emerald-100 text-emerald-800 dark:bg-emerald-900/40 dark:text-emerald-300",
  warn: "bg-amber-100 text-amber-800 dark:bg-amber-900/40 dark:text-amber-300",
  error: "bg-rose-100 text-rose-800 dark:bg-rose-900/40 dark:text-rose-300",
  neutral: "bg-slate-100 text-slate-700 dark:bg-slate-800 dark:text-slate-300",
};

export type TStatusBadgeProps = { tone: TStatusTone; label: string };

export function StatusBadge({ tone, label }: TStatusBadgeProps) {
  return (
    <span
      className={`inline-flex rounded-full px-2 py-0.5 text-xs font-medium ${toneClasses[tone]}`}
    >
      <span className="sr-only">status: </span>
      {label}
    </span>
  );
}
