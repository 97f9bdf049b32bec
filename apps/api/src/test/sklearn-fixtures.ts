import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";

// Shared by the scikit-learn end-to-end suites: the joblib fixtures checked into the package, with
// scikit-learn's own outputs for their sample rows.

export const SKLEARN_FIXTURES_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../test/fixtures",
);

export type TSamples = { inputs: number[][]; predict: number[]; predict_proba?: number[][] };

export function readSklearnFixture(name: string): { file: Buffer; samples: TSamples } {
  return {
    file: readFileSync(path.join(SKLEARN_FIXTURES_DIR, `${name}.joblib`)),
    samples: JSON.parse(
      readFileSync(path.join(SKLEARN_FIXTURES_DIR, `${name}.samples.json`), "utf8"),
    ) as TSamples,
  };
}

export function expectClose(actual: number[], expected: number[], tolerance = 1e-6, what = "") {
  expect(actual, what).toHaveLength(expected.length);
  const worst = Math.max(0, ...actual.map((value, i) => Math.abs(value - (expected[i] ?? NaN))));
  expect(worst, what).toBeLessThan(tolerance);
}
