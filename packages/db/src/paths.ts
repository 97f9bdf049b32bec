import { existsSync } from "node:fs";
import path from "node:path";

/** The folder holding embedded state (PGlite data, artifacts, secrets): `.kubeserve/` at the workspace root. */
export function findDefaultHomeDir(start = process.cwd()): string {
  let dir = path.resolve(start);
  for (;;) {
    if (existsSync(path.join(dir, "pnpm-workspace.yaml"))) return path.join(dir, ".kubeserve");
    const parent = path.dirname(dir);
    if (parent === dir) return path.resolve(start, ".kubeserve");
    dir = parent;
  }
}
