#!/usr/bin/env node
// `pnpm bench <target>` runs the benchmark script of the app that owns the target.
import { spawnSync } from "node:child_process";

const targets = {
  api: "@kubeserve/api",
  inference: "@kubeserve/inference",
  sklearn: "@kubeserve/runtime-sklearn",
};
const [target, ...rest] = process.argv.slice(2);
if (!target || !(target in targets)) {
  console.error(`usage: pnpm bench <${Object.keys(targets).join("|")}> [options]`);
  process.exit(2);
}
// Runs pnpm the same way this script was started (npx pnpm, corepack or a global pnpm).
const pnpm = process.env.npm_execpath?.includes("pnpm")
  ? [process.execPath, process.env.npm_execpath]
  : ["pnpm"];
const result = spawnSync(
  pnpm[0],
  [...pnpm.slice(1), "--filter", targets[target], "run", "bench", ...rest],
  {
    stdio: "inherit",
  },
);
process.exit(result.status ?? 1);
