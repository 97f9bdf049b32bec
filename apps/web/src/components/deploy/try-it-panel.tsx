"use client";

import { Button, Card } from "@kubeserve/ui";
import { useId, useMemo, useState, useSyncExternalStore, type FormEvent } from "react";
import {
  bodyToRow,
  checkRow,
  exampleRow,
  historyKey,
  parseHistory,
  readFormSpec,
  rememberRow,
  rowToBody,
} from "~/lib/try-form";
import { exampleRequest, readTryResult, type TSignature } from "~/lib/try-it";
import { TryItFields, TryItHistory } from "./try-it-fields";
import { TryItResult, type TTryAnswer } from "./try-it-result";

type TMode = "form" | "json";

// Another tab sending rows updates this one too; this tab's own sends re-render it anyway.
function subscribeToStorage(listener: () => void) {
  window.addEventListener("storage", listener);
  return () => window.removeEventListener("storage", listener);
}

/** The rows last sent from this browser, read after hydration (the server has none). */
function useHistory(deploymentId: string): number[][] {
  const raw = useSyncExternalStore(
    subscribeToStorage,
    () => localStorage.getItem(historyKey(deploymentId)),
    () => null,
  );
  return useMemo(() => parseHistory(raw), [raw]);
}

const toggleClasses =
  "h-8 rounded px-3 text-sm font-medium focus-visible:outline-2 focus-visible:outline-offset-1 focus-visible:outline-indigo-500 aria-pressed:bg-white aria-pressed:text-slate-900 aria-pressed:shadow-xs text-slate-600 dark:text-slate-300 dark:aria-pressed:bg-slate-700 dark:aria-pressed:text-white";

/**
 * A form generated from the signature (a field per feature) or the raw V2 JSON body, sent through the
 * dashboard's own /api/try route, which adds the session's access token server side
 * (src/server/try-it-proxy.ts): the browser holds no API key.
 */
export function TryItPanel({
  deploymentId,
  modelName,
  signature,
  metadata,
  isRunning,
  onAnswered,
}: {
  deploymentId: string;
  modelName: string | undefined;
  signature: TSignature | null | undefined;
  metadata?: Record<string, unknown> | null;
  isRunning: boolean;
  /** Called after the model answered, e.g. to refetch the deployment's cold start. */
  onAnswered?: () => void;
}) {
  const idPrefix = useId();
  const spec = useMemo(() => readFormSpec(signature, metadata), [signature, metadata]);
  const [chosenMode, setChosenMode] = useState<TMode>();
  const [editedFields, setEditedFields] = useState<string[]>();
  const [errors, setErrors] = useState<(string | undefined)[]>([]);
  const [editedBody, setEditedBody] = useState<string>();
  const [jsonError, setJsonError] = useState<string>();
  const history = useHistory(deploymentId);
  const [answer, setAnswer] = useState<TTryAnswer>();
  const [isSending, setIsSending] = useState(false);

  // The signature arrives after the first render: the form is the default once it can be built.
  const mode: TMode = spec ? (chosenMode ?? "form") : "json";
  const fields = editedFields ?? (spec ? exampleRow(spec) : []);
  const body = editedBody ?? exampleRequest(signature);
  const width = spec?.featureNames.length;
  const rows = history.filter((row) => row.length === width);

  const fillForm = (values: string[]) => {
    setEditedFields(values);
    setErrors([]);
  };

  const switchMode = (next: TMode) => {
    if (!spec || next === mode) return;
    if (next === "json") {
      const { values } = checkRow(spec, fields);
      setEditedBody(values ? rowToBody(spec, values) : undefined);
      setJsonError(undefined);
    } else {
      const row = bodyToRow(spec, body);
      if (row) fillForm(row.map(String));
    }
    setChosenMode(next);
  };

  const send = async (event: FormEvent) => {
    event.preventDefault();
    let sentBody = body;
    let row: number[] | undefined;
    if (mode === "form" && spec) {
      const check = checkRow(spec, fields);
      setErrors(check.errors);
      if (!check.values) {
        const first = check.errors.findIndex(Boolean);
        document.getElementById(`${idPrefix}-${first}`)?.focus();
        return;
      }
      row = check.values;
      sentBody = rowToBody(spec, row);
    } else {
      try {
        JSON.parse(body);
      } catch (error) {
        setJsonError(`Not valid JSON: ${(error as Error).message}`);
        return;
      }
      setJsonError(undefined);
      row = spec ? bodyToRow(spec, body) : undefined;
    }
    setIsSending(true);
    const started = performance.now();
    try {
      const response = await fetch(
        `/api/try/${deploymentId}?model=${encodeURIComponent(modelName ?? "")}`,
        { method: "POST", headers: { "content-type": "application/json" }, body: sentBody },
      );
      const text = await response.text();
      const upstream = Number(response.headers.get("x-upstream-ms"));
      const result = readTryResult(response.status, text);
      setAnswer({
        result,
        roundTripMs: performance.now() - started,
        upstreamMs: Number.isFinite(upstream) && upstream > 0 ? upstream : undefined,
      });
      // Rows the model answered are worth sending again; refused ones are not kept.
      if (result.isOk) {
        if (row) rememberRow(localStorage, deploymentId, row);
        onAnswered?.();
      }
    } catch {
      setAnswer({
        result: { isOk: false, message: "Could not reach the dashboard server" },
        roundTripMs: performance.now() - started,
        upstreamMs: undefined,
      });
    } finally {
      setIsSending(false);
    }
  };

  const isEdited = mode === "form" ? editedFields !== undefined : editedBody !== undefined;
  return (
    <Card
      title="Try it"
      actions={
        spec ? (
          <div
            role="group"
            aria-label="Input mode"
            className="inline-flex rounded-md bg-slate-100 p-0.5 dark:bg-slate-800"
          >
            <button
              type="button"
              aria-pressed={mode === "form"}
              className={toggleClasses}
              onClick={() => switchMode("form")}
            >
              Fields
            </button>
            <button
              type="button"
              aria-pressed={mode === "json"}
              className={toggleClasses}
              onClick={() => switchMode("json")}
            >
              JSON
            </button>
          </div>
        ) : null
      }
    >
      <div className="grid gap-4 lg:grid-cols-2">
        <form
          className="flex min-w-0 flex-col gap-3"
          onSubmit={(event) => void send(event)}
          noValidate
        >
          {mode === "form" && spec ? (
            <>
              <TryItFields
                spec={spec}
                fields={fields}
                errors={errors}
                idPrefix={idPrefix}
                onChange={(index, value) => {
                  const next = [...fields];
                  next[index] = value;
                  setEditedFields(next);
                  setErrors((previous) => previous.map((e, i) => (i === index ? undefined : e)));
                }}
              />
              <TryItHistory rows={rows} onPick={(picked) => fillForm(picked.map(String))} />
            </>
          ) : (
            <div className="flex flex-col gap-2">
              <label htmlFor={`${idPrefix}-body`} className="text-sm font-medium">
                Request body (V2 JSON)
              </label>
              <textarea
                id={`${idPrefix}-body`}
                value={body}
                onChange={(event) => setEditedBody(event.currentTarget.value)}
                spellCheck={false}
                rows={12}
                aria-invalid={jsonError ? true : undefined}
                aria-describedby={jsonError ? `${idPrefix}-body-error` : undefined}
                className="rounded-md border border-slate-300 bg-white p-3 font-mono text-xs focus-visible:outline-2 focus-visible:outline-indigo-500 dark:border-slate-700 dark:bg-slate-950"
              />
              {jsonError ? (
                <p
                  id={`${idPrefix}-body-error`}
                  className="text-sm text-rose-600 dark:text-rose-400"
                >
                  {jsonError}
                </p>
              ) : null}
              {!spec && signature ? (
                <p className="text-xs text-slate-500">
                  This model’s inputs do not fit a row of number fields: edit the JSON body.
                </p>
              ) : null}
            </div>
          )}
          <div className="flex flex-wrap items-center gap-2">
            <Button type="submit" isBusy={isSending} disabled={!modelName || isSending}>
              Send
            </Button>
            {isEdited ? (
              <Button
                variant="ghost"
                onClick={() => {
                  if (mode === "form") {
                    setEditedFields(undefined);
                    setErrors([]);
                  } else setEditedBody(undefined);
                  setJsonError(undefined);
                }}
              >
                Example row
              </Button>
            ) : null}
            {!isRunning ? (
              <span className="text-sm text-amber-700 dark:text-amber-300">
                Not running yet: the gateway answers 503 until a replica is ready.
              </span>
            ) : null}
          </div>
        </form>
        <TryItResult answer={answer} />
      </div>
    </Card>
  );
}
