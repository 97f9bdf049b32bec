import { type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes, useId } from "react";

const controlClasses =
  "block h-9 w-full rounded-md border bg-white px-3 text-sm text-slate-900 shadow-xs placeholder:text-slate-400 focus-visible:outline-2 focus-visible:outline-offset-1 focus-visible:outline-indigo-500 dark:bg-slate-900 dark:text-slate-100";

function borderClasses(hasError: boolean) {
  return hasError
    ? "border-rose-500 dark:border-rose-500"
    : "border-slate-300 dark:border-slate-700";
}

type TFieldFrame = { label: string; hint?: string; error?: string };

function FieldFrame({
  id,
  label,
  hint,
  error,
  children,
}: TFieldFrame & { id: string; children: ReactNode }) {
  return (
    <div className="flex flex-col gap-1.5">
      <label htmlFor={id} className="text-sm font-medium text-slate-700 dark:text-slate-200">
        {label}
      </label>
      {children}
      {error ? (
        <p id={`${id}-error`} className="text-sm text-rose-600 dark:text-rose-400">
          {error}
        </p>
      ) : hint ? (
        <p id={`${id}-hint`} className="text-xs text-slate-500 dark:text-slate-400">
          {hint}
        </p>
      ) : null}
    </div>
  );
}

export type TTextFieldProps = InputHTMLAttributes<HTMLInputElement> & TFieldFrame;

/** A labelled input whose error (the API's own words) sits right under it and is announced. */
export function TextField({ label, hint, error, id, className = "", ...rest }: TTextFieldProps) {
  const generated = useId();
  const inputId = id ?? generated;
  return (
    <FieldFrame id={inputId} label={label} hint={hint} error={error}>
      <input
        id={inputId}
        className={`${controlClasses} ${borderClasses(Boolean(error))} ${className}`}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${inputId}-error` : hint ? `${inputId}-hint` : undefined}
        {...rest}
      />
    </FieldFrame>
  );
}

export type TSelectFieldProps = SelectHTMLAttributes<HTMLSelectElement> & TFieldFrame;

export function SelectField({ label, hint, error, id, children, ...rest }: TSelectFieldProps) {
  const generated = useId();
  const selectId = id ?? generated;
  return (
    <FieldFrame id={selectId} label={label} hint={hint} error={error}>
      <select
        id={selectId}
        className={`${controlClasses} ${borderClasses(Boolean(error))}`}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${selectId}-error` : undefined}
        {...rest}
      >
        {children}
      </select>
    </FieldFrame>
  );
}
