import type { RouterOutputs } from "@kubeserve/api";
import { formatShape } from "~/lib/format";
import { DataTable, type TDataTableColumn } from "@kubeserve/ui";

type TSignature = NonNullable<RouterOutputs["version"]["get"]["signature"]>;

type TSignatureRow = TSignature["inputs"][number] & { kind: "input" | "output" };

const signatureColumns: readonly TDataTableColumn<TSignatureRow>[] = [
  { key: "tensor", header: "Tensor", cellClassName: "font-mono text-xs", cell: (row) => row.name },
  {
    key: "direction",
    header: "Direction",
    // text-xs like the mono columns: a larger line sat lower than the rest of its row.
    cellClassName: "text-xs text-slate-600 dark:text-slate-400",
    cell: (row) => row.kind,
  },
  { key: "type", header: "Type", cellClassName: "font-mono text-xs", cell: (row) => row.datatype },
  {
    key: "shape",
    header: "Shape",
    cellClassName: "font-mono text-xs",
    cell: (row) => formatShape(row.shape),
  },
];

/** The model's inputs and outputs as the model server reports them (names, types, shapes). */
export function SignatureTable({ signature }: { signature: TSignature }) {
  const rows: TSignatureRow[] = [
    ...signature.inputs.map((tensor) => ({ ...tensor, kind: "input" as const })),
    ...signature.outputs.map((tensor) => ({ ...tensor, kind: "output" as const })),
  ];
  return (
    <div className="mt-4">
      <DataTable
        caption="Signature"
        isCaptionVisible
        columns={signatureColumns}
        rows={rows}
        getRowKey={(row) => `${row.kind}-${row.name}`}
      />
    </div>
  );
}
