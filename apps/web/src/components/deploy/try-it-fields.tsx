"use client";

import { TextField } from "@kubeserve/ui";
import type { TFormSpec } from "~/lib/try-form";

/** One labelled number field per feature; each error sits under its own field. */
export function TryItFields({
  spec,
  fields,
  errors,
  idPrefix,
  onChange,
}: {
  spec: TFormSpec;
  fields: readonly string[];
  errors: readonly (string | undefined)[];
  idPrefix: string;
  onChange: (index: number, value: string) => void;
}) {
  return (
    <fieldset className="flex min-w-0 flex-col gap-2">
      <legend className="mb-2 text-sm font-medium">
        Input <span className="font-mono text-xs">{spec.inputName}</span>{" "}
        <span className="text-xs font-normal text-slate-500">
          {spec.datatype}, one row of {spec.featureNames.length}
        </span>
      </legend>
      <div className="grid grid-cols-1 gap-3 sm:grid-cols-2">
        {spec.featureNames.map((name, index) => (
          <TextField
            // Feature names may repeat in user metadata; the position is what identifies a field.
            key={index}
            id={`${idPrefix}-${index}`}
            label={name}
            inputMode={spec.isInteger ? "numeric" : "decimal"}
            autoComplete="off"
            spellCheck={false}
            value={fields[index] ?? ""}
            error={errors[index]}
            onChange={(event) => onChange(index, event.currentTarget.value)}
          />
        ))}
      </div>
    </fieldset>
  );
}

/** The rows last sent from this browser, newest first; choosing one fills the form with it. */
export function TryItHistory({
  rows,
  onPick,
}: {
  rows: readonly number[][];
  onPick: (row: number[]) => void;
}) {
  if (rows.length === 0) return null;
  return (
    <div className="flex flex-col gap-1.5">
      <h3 className="text-xs font-medium tracking-wide text-slate-500 uppercase">Last sent</h3>
      <ul aria-label="Last sent rows" className="flex flex-wrap gap-1.5">
        {rows.map((row) => {
          const text = row.join(", ");
          return (
            <li key={text} className="max-w-full">
              <button
                type="button"
                onClick={() => onPick(row)}
                aria-label={`Fill the form with ${text}`}
                className="max-w-full truncate rounded-md border border-slate-300 px-2 py-1 font-mono text-xs text-slate-700 hover:bg-slate-50 focus-visible:outline-2 focus-visible:outline-offset-1 focus-visible:outline-indigo-500 dark:border-slate-700 dark:text-slate-200 dark:hover:bg-slate-800"
              >
                {text}
              </button>
            </li>
          );
        })}
      </ul>
    </div>
  );
}
