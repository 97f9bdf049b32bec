#!/usr/bin/env node
// Committed so pnpm can link the package's bin at install, before anything is built; runs the built CLI.
import { existsSync } from "node:fs";

const cli = new URL("../dist/cli.js", import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write(
    "kubeserve-inference is not built yet: run `pnpm --filter @kubeserve/inference build` first\n",
  );
  process.exit(1);
}
await import(cli.href);
