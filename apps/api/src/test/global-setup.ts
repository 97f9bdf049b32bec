import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

// The local runtime runs the model server's built CLI, as in production: build it once when it is stale.

const inferenceDir = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../../inference",
);

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(full) : statSync(full).mtimeMs);
  }
  return newest;
}

export default function setup(): void {
  const cli = path.join(inferenceDir, "dist", "cli.js");
  if (existsSync(cli) && statSync(cli).mtimeMs >= newestSource(path.join(inferenceDir, "src")))
    return;
  execFileSync("npx", ["tsup"], { cwd: inferenceDir, stdio: "inherit" });
}
