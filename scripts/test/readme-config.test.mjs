// Every variable an app's validated config reads is in the README with its default: this fails when one is added
// to a zod config (or the scikit-learn runtime's SETTINGS) without a README row.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
const readme = readFileSync(path.join(root, "README.md"), "utf8");
const read = (file) => readFileSync(path.join(root, file), "utf8");

/** Upper-case keys of the zod env objects, plus `e.NAME`/`env.NAME` reads and "KUBESERVE_…" literals. */
function variablesIn(source) {
  const names = new Set();
  for (const pattern of [
    /^\s+([A-Z][A-Z0-9_]{2,}):/gm,
    /\b(?:e|env)\.([A-Z][A-Z0-9_]{2,})\b/g,
    /"(KUBESERVE_[A-Z0-9_]+)"/g,
  ]) {
    for (const match of source.matchAll(pattern)) names.add(match[1]);
  }
  return [...names].sort();
}

/** The README's table rows whose first cell names the variable in backticks. */
const rowsNaming = (text, name) =>
  text
    .split("\n")
    .filter((line) => line.startsWith("|") && line.split("|")[1].includes(`\`${name}\``));

const zodConfigs = {
  "apps/api": [
    "apps/api/src/config.ts",
    "apps/api/src/config/kubernetes.ts",
    "apps/api/src/config/ray.ts",
    "apps/api/src/config/runtime.ts",
    "apps/api/src/config/sklearn.ts",
    "apps/api/src/config/storage.ts",
    "apps/api/src/config/uploads.ts",
  ],
  "apps/inference": ["apps/inference/src/config.ts"],
  "apps/web": ["apps/web/src/config.ts"],
  "packages/db": ["packages/db/src/config.ts"],
};

describe("README configuration tables", () => {
  for (const [app, files] of Object.entries(zodConfigs)) {
    it(`list every variable ${app}'s config reads`, () => {
      const names = files.flatMap((file) => variablesIn(read(file)));
      assert.ok(names.length > 0, `no variables found in ${files.join(", ")}`);
      const missing = names.filter((name) => rowsNaming(readme, name).length === 0);
      assert.deepEqual(missing, [], `README has no table row for ${missing.join(", ")}`);
    });
  }

  // SETTINGS is the runtime's one table: (variable, flag, parser, default, help) per key.
  const settings = JSON.parse(
    execFileSync(
      "/usr/bin/python3",
      [
        "-c",
        "import json; from kubeserve_sklearn.config import SETTINGS; " +
          "print(json.dumps([[v, f, d] for v, f, _, d, _ in SETTINGS.values()]))",
      ],
      { env: { PYTHONPATH: path.join(root, "runtimes/sklearn") }, encoding: "utf8" },
    ),
  );
  const sklearnSection = readme.slice(
    readme.indexOf("### scikit-learn runtime (`runtimes/sklearn`)"),
  );
  const sklearnTable = sklearnSection.slice(0, sklearnSection.indexOf("\n## "));

  it("has the scikit-learn runtime's table with every variable, its flag and its default", () => {
    assert.ok(settings.length > 10);
    const problems = [];
    for (const [name, flag, fallback] of settings) {
      const [row] = rowsNaming(sklearnTable, name);
      if (!row) {
        problems.push(`${name}: no row`);
        continue;
      }
      if (!row.includes(`\`--${flag}\``)) problems.push(`${name}: flag --${flag} not in its row`);
      const shown = typeof fallback === "boolean" ? String(fallback) : String(fallback ?? "");
      if (fallback !== null && !row.includes(`\`${shown === "" ? '""' : shown}\``)) {
        problems.push(`${name}: default ${JSON.stringify(fallback)} not in its row`);
      }
    }
    assert.deepEqual(problems, []);
  });

  it("lists the scikit-learn tool commands' variables and says what V1 answers by default", () => {
    const tools = read("runtimes/sklearn/kubeserve_sklearn/tools_cli.py");
    const names = [...tools.matchAll(/_env_int\("([A-Z_]+)"/g)].map((match) => match[1]);
    assert.ok(names.length >= 3);
    assert.deepEqual(
      names.filter((name) => rowsNaming(sklearnTable, name).length === 0),
      [],
    );
    const [v1] = rowsNaming(sklearnTable, "KUBESERVE_V1_OUTPUT");
    assert.match(v1 ?? "", /`predict_proba`.*`predict`/);
  });
});
