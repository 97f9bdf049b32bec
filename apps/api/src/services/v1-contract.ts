import type { TSignature, TTensorSpec } from "../schemas/version";

// One V1 contract on every runtime: what `:predict` and the seed body return (class probabilities for
// classifiers, predictions for regressors) and how wide an input row is. A rollout may switch framework
// (ONNX ↔ scikit-learn) only when neither changes, so a client never sees which runtime serves.

type TFrameworkVersion = { tag: string; framework: string; signature: unknown };

type TContract = { output: string; answer: string; inputWidth: string };

/** Values per row of a tensor after the batch dimension ("any" when a dimension is dynamic). */
function rowWidth(spec: TTensorSpec | undefined): string {
  if (!spec) return "unknown";
  const dims = spec.shape.slice(1);
  if (dims.some((d) => d < 0)) return "any";
  return String(dims.reduce((a, b) => a * b, 1));
}

function contractOf(version: TFrameworkVersion): TContract {
  const signature = version.signature as TSignature | null;
  const outputs = signature?.outputs ?? [];
  // apps/inference answers V1 with the first output; kubeserve_sklearn with the one its inspection chose.
  const name = version.framework === "sklearn" ? signature?.sklearn?.v1Output : outputs[0]?.name;
  const output = outputs.find((o) => o.name === name);
  const width = rowWidth(output);
  const answer = width === "1" ? "one value per row" : `rows of ${width} values`;
  return { output: name ?? "none", answer, inputWidth: rowWidth(signature?.inputs[0]) };
}

/**
 * Why `next` cannot replace `current` behind the same URLs, or undefined when it can. Only a change of
 * framework is checked: within one framework the owner changes their own model's contract knowingly.
 */
export function v1ContractConflict(
  current: TFrameworkVersion,
  next: TFrameworkVersion,
): string | undefined {
  if (current.framework === next.framework) return undefined;
  const a = contractOf(current);
  const b = contractOf(next);
  const reasons: string[] = [];
  if (a.answer !== b.answer || a.answer.includes("any")) {
    reasons.push(
      `V1 predictions would change from ${a.answer} (${a.output}) to ${b.answer} (${b.output})`,
    );
  }
  if (a.inputWidth !== b.inputWidth || a.inputWidth === "any") {
    reasons.push(`the input width would change from ${a.inputWidth} to ${b.inputWidth} features`);
  }
  if (reasons.length === 0) return undefined;
  return (
    `Version '${next.tag}' (${next.framework}) cannot replace '${current.tag}' (${current.framework}) ` +
    `behind the same URLs: ${reasons.join("; ")}. Deploy it as a new deployment instead`
  );
}
