import { spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { waitFor } from "@kubeserve/testing";
import { describe, expect, it } from "vitest";
import { isAlive } from "./local-process";

describe("isAlive", () => {
  it("is false for an exited process nobody has reaped yet (a zombie still answers kill 0)", async () => {
    // `sh` forks `true` and then becomes `sleep`, which never waits: `true` stays a zombie until sleep exits.
    const parent = spawn("sh", ["-c", "true & echo $!; exec sleep 5"], {
      stdio: ["ignore", "pipe", "ignore"],
    });
    try {
      const [chunk] = (await once(parent.stdout, "data")) as [Buffer];
      const pid = Number(chunk.toString().trim());
      await waitFor(
        () => (readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z") ? true : undefined),
        {
          what: "the zombie",
        },
      );
      expect(() => process.kill(pid, 0)).not.toThrow();
      expect(isAlive(pid)).toBe(false);
      expect(isAlive(parent.pid ?? 0)).toBe(true);
    } finally {
      parent.kill("SIGKILL");
    }
  });
});
