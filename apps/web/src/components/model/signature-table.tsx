import type { RouterOutputs } from "@kubeserve/api";
import { formatShape } from "~/lib/format";

type TSignature = NonNullable<RouterOutputs["version"]["get"]["signature"]>;

/** The model's inputs and outputs as the model server reports them (names, types, shapes). */
export function SignatureTable({ signature }: { signature: TSignature }) {
  const rows = [
    ...signature.inputs.map((tensor) => ({ ...tensor, kind: "input" as const })),
    ...signature.outputs.map((tensor) => ({ ...tensor, kind: "output" as const })),
  ];
  return (
    <div className="mt-4 overflow-x-auto">
      <table className="w-full text-left text-sm">
        <caption className="mb-2 text-left text-xs font-medium tracking-wide text-slate-500 uppercase">
          Signature
        </caption>
        <thead className="border-b border-slate-200 text-xs text-slate-500 dark:border-slate-800">
          <tr>
            <th scope="col" className="py-1.5 pr-4 font-medium">
              Tensor
            </th>
            <th scope="col" className="py-1.5 pr-4 font-medium">
              Direction
            </th>
            <th scope="col" className="py-1.5 pr-4 font-medium">
              Type
            </th>
            <th scope="col" className="py-1.5 font-medium">
              Shape
            </th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
          {rows.map((row) => (
            <tr key={`${row.kind}-${row.name}`}>
              <td className="py-1.5 pr-4 font-mono text-xs">{row.name}</td>
              <td className="py-1.5 pr-4 text-slate-600 dark:text-slate-400">{row.kind}</td>
              <td className="py-1.5 pr-4 font-mono text-xs">{row.datatype}</td>
              <td className="py-1.5 font-mono text-xs">{formatShape(row.shape)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
