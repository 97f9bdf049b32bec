#!/usr/bin/env node
// `pnpm bench <target>` runs the benchmark script of the app that owns the target.
import { spawnSync } from "node:child_process";

// Each target is a package and the script of it that runs the benchmark.
const targets = {
  api: ["@kubeserve/api", "bench"],
  gateway: ["@kubeserve/api", "bench:gateway"],
  inference: ["@kubeserve/inference", "bench"],
  sklearn: ["@kubeserve/runtime-sklearn", "bench"],
  upload: ["@kubeserve/api", "bench:upload"],
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
  [...pnpm.slice(1), "--filter", targets[target][0], "run", targets[target][1], ...rest],
  {
    stdio: "inherit",
  },
);
process.exit(result.status ?? 1);
