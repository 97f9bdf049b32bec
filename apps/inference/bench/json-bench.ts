/**
 * In-process part of `pnpm bench inference`: the request scanner against JSON.parse (the floor a
 * plain Node server pays) on hostile bodies; issue 7's target is worst body ≤ 2× JSON.parse.
 */
import { JsonScanner } from "../src/protocol/json-scan";
import { buildHostileBodies } from "./json-bodies";

const TARGET = 2;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function timeOnce(fn: () => unknown): number {
  const startedAt = performance.now();
  fn();
  return performance.now() - startedAt;
}

/** Prints the table and returns whether the worst ratio meets the target. */
export function runJsonBench(repeats: number): boolean {
  const scanner = new JsonScanner();
  console.log(
    `\nJSON scanner vs JSON.parse(body.toString()) on hostile bodies (median of ${repeats} alternating runs each)`,
  );
  console.log(
    "| body | MB | JSON.parse ms | scanner ms | scanner ÷ JSON.parse | bytes scanned ÷ body |",
  );
  console.log("| --- | --- | --- | --- | --- | --- |");
  let worst = 0;
  let worstId = "";
  for (const body of buildHostileBodies()) {
    const buf = Buffer.from(body.text);
    for (let i = 0; i < 3; i++) {
      scanner.parse(buf);
      JSON.parse(buf.toString("utf8"));
    }
    const floor: number[] = [];
    const ours: number[] = [];
    for (let i = 0; i < repeats; i++) {
      floor.push(timeOnce(() => JSON.parse(buf.toString("utf8"))));
      ours.push(timeOnce(() => scanner.parse(buf)));
    }
    const ratio = median(ours) / median(floor);
    if (ratio > worst) {
      worst = ratio;
      worstId = body.id;
    }
    console.log(
      `| ${body.id} | ${(buf.length / 1e6).toFixed(2)} | ${median(floor).toFixed(1)} | ${median(ours).toFixed(1)} | ${ratio.toFixed(2)} | ${(scanner.lastScannedBytes / buf.length).toFixed(2)} |`,
    );
  }
  const isPass = worst <= TARGET;
  console.log(
    `worst body (${worstId}): ${worst.toFixed(2)}× JSON.parse (target ≤ ${TARGET}×) → ${isPass ? "PASS" : "FAIL"}`,
  );
  return isPass;
}
