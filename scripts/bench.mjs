#!/usr/bin/env node
// `pnpm bench <target>` runs the benchmark script of the app that owns the target.
import { spawnSync } from "node:child_process";

const targets = { api: "@kubeserve/api", inference: "@kubeserve/inference" };
const [target, ...rest] = process.argv.slice(2);
if (!target || !(target in targets)) {
  console.error(`usage: pnpm bench <${Object.keys(targets).join("|")}> [options]`);
  process.exit(2);
}
const result = spawnSync("pnpm", ["--filter", targets[target], "run", "bench", ...rest], {
  stdio: "inherit",
});
process.exit(result.status ?? 1);
