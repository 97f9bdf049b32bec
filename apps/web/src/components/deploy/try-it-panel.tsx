"use client";

import { Button, Card, ErrorNotice } from "@kubeserve/ui";
import dynamic from "next/dynamic";
import { useState } from "react";
import { probabilityBars, readTryResult, type TTryResult } from "~/lib/try-it";

// Recharts loads only when there is something to draw.
const ProbabilityChart = dynamic(() => import("./probability-chart"), { ssr: false });

type TAnswer = { result: TTryResult; roundTripMs: number; upstreamMs: number | undefined };

function formatData(data: unknown[]): string {
  const text = JSON.stringify(data);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/**
 * Sends a V2 request through the dashboard's own /api/try route, which adds the session's access token
 * server side (src/server/try-it-proxy.ts): the browser holds no API key.
 */
export function TryItPanel({
  deploymentId,
  modelName,
  exampleBody,
  isRunning,
}: {
  deploymentId: string;
  modelName: string | undefined;
  exampleBody: string;
  isRunning: boolean;
}) {
  const [edited, setEdited] = useState<string>();
  const [answer, setAnswer] = useState<TAnswer>();
  const [isSending, setIsSending] = useState(false);
  const [jsonError, setJsonError] = useState<string>();
  const body = edited ?? exampleBody;

  const send = async () => {
    try {
      JSON.parse(body);
    } catch (error) {
      setJsonError(`Not valid JSON: ${(error as Error).message}`);
      return;
    }
    setJsonError(undefined);
    setIsSending(true);
    const started = performance.now();
    try {
      const response = await fetch(
        `/api/try/${deploymentId}?model=${encodeURIComponent(modelName ?? "")}`,
        { method: "POST", headers: { "content-type": "application/json" }, body },
      );
      const text = await response.text();
      const upstream = Number(response.headers.get("x-upstream-ms"));
      setAnswer({
        result: readTryResult(response.status, text),
        roundTripMs: performance.now() - started,
        upstreamMs: Number.isFinite(upstream) && upstream > 0 ? upstream : undefined,
      });
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

  const result = answer?.result;
  const bars = result?.isOk
    ? result.outputs.map((output) => probabilityBars(output)).find(Boolean)
    : undefined;
  return (
    <Card title="Try it">
      <div className="grid gap-4 lg:grid-cols-2">
        <div className="flex flex-col gap-2">
          <label htmlFor="try-body" className="text-sm font-medium">
            Request body (V2 JSON)
          </label>
          <textarea
            id="try-body"
            value={body}
            onChange={(event) => setEdited(event.currentTarget.value)}
            spellCheck={false}
            rows={12}
            aria-invalid={jsonError ? true : undefined}
            className="rounded-md border border-slate-300 bg-white p-3 font-mono text-xs focus-visible:outline-2 focus-visible:outline-indigo-500 dark:border-slate-700 dark:bg-slate-950"
          />
          {jsonError ? (
            <p className="text-sm text-rose-600 dark:text-rose-400">{jsonError}</p>
          ) : null}
          <div className="flex flex-wrap items-center gap-2">
            <Button
              onClick={() => void send()}
              isBusy={isSending}
              disabled={!modelName || isSending}
            >
              Send
            </Button>
            {edited !== undefined ? (
              <Button variant="ghost" onClick={() => setEdited(undefined)}>
                Reset to example
              </Button>
            ) : null}
            {!isRunning ? (
              <span className="text-sm text-amber-700 dark:text-amber-300">
                Not running yet: the gateway answers 503 until a replica is ready.
              </span>
            ) : null}
          </div>
        </div>
        <div aria-live="polite" className="flex min-w-0 flex-col gap-3">
          <h3 className="text-sm font-medium">Response</h3>
          {!answer ? (
            <p className="text-sm text-slate-500">Send the example to see the model’s answer.</p>
          ) : (
            <>
              <p className="text-sm text-slate-600 dark:text-slate-400" data-testid="try-latency">
                {answer.roundTripMs.toFixed(0)} ms round trip
                {answer.upstreamMs !== undefined
                  ? ` · ${answer.upstreamMs.toFixed(1)} ms at the gateway`
                  : ""}
              </p>
              {result && !result.isOk ? <ErrorNotice message={result.message} /> : null}
              {result?.isOk ? (
                <table className="w-full text-left text-sm" aria-label="Outputs">
                  <thead className="border-b border-slate-200 text-xs text-slate-500 dark:border-slate-800">
                    <tr>
                      <th scope="col" className="py-1.5 pr-3 font-medium">
                        Output
                      </th>
                      <th scope="col" className="py-1.5 pr-3 font-medium">
                        Type
                      </th>
                      <th scope="col" className="py-1.5 font-medium">
                        Data
                      </th>
                    </tr>
                  </thead>
                  <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
                    {result.outputs.map((output) => (
                      <tr key={output.name}>
                        <td className="py-1.5 pr-3 font-mono text-xs">{output.name}</td>
                        <td className="py-1.5 pr-3 font-mono text-xs">{output.datatype}</td>
                        <td className="py-1.5 font-mono text-xs break-all">
                          {formatData(output.data)}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              ) : null}
              {bars ? <ProbabilityChart bars={bars} /> : null}
            </>
          )}
        </div>
      </div>
    </Card>
  );
}
