"use client";

import { ErrorNotice } from "@kubeserve/ui";
import dynamic from "next/dynamic";
import { formatOutputData, probabilityBars, type TTryResult } from "~/lib/try-it";

// Recharts loads only when there is something to draw.
const ProbabilityChart = dynamic(() => import("./probability-chart"), { ssr: false });

export type TTryAnswer = {
  result: TTryResult;
  roundTripMs: number;
  upstreamMs: number | undefined;
};

/** The model's answer: latency, the outputs as a table and class probabilities as bars. */
export function TryItResult({ answer }: { answer: TTryAnswer | undefined }) {
  const result = answer?.result;
  const bars = result?.isOk
    ? result.outputs.map((output) => probabilityBars(output)).find(Boolean)
    : undefined;
  return (
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
                    <td className="py-1.5 font-mono text-xs break-words">
                      {formatOutputData(output.data)}
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
  );
}
