import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { readApiConfig } from "../config";

const home = () => mkdtempSync(path.join(tmpdir(), "ks-config-sklearn-"));

describe("scikit-learn configuration", () => {
  it("defaults to Debian's python3 and this checkout's runtimes/sklearn, with venvs under KUBESERVE_HOME", () => {
    const dir = home();
    const { sklearn } = readApiConfig({ KUBESERVE_HOME: dir });
    expect(sklearn).toMatchObject({
      python: "/usr/bin/python3",
      inspect: { timeoutMs: 60_000, maxMemoryBytes: 4 * 1024 ** 3 },
      pickleAllow: [],
      venvDir: path.join(dir, "runtimes"),
    });
    expect(sklearn.runtimePath).toMatch(/runtimes\/sklearn$/);
    expect(existsSync(path.join(sklearn.runtimePath, "kubeserve_sklearn", "__main__.py"))).toBe(
      true,
    );
  });

  it("takes an admin allow-list of exact module.qualname pairs and refuses anything else by name", () => {
    const { sklearn } = readApiConfig({
      KUBESERVE_HOME: home(),
      SKLEARN_PICKLE_ALLOW: " xgboost.sklearn.XGBClassifier , lightgbm.sklearn.LGBMClassifier",
      SKLEARN_INSPECT_TIMEOUT_SECONDS: "5",
      SKLEARN_INSPECT_MAX_MEMORY_BYTES: "1000000",
    });
    expect(sklearn.pickleAllow).toEqual([
      "xgboost.sklearn.XGBClassifier",
      "lightgbm.sklearn.LGBMClassifier",
    ]);
    expect(sklearn.inspect).toEqual({ timeoutMs: 5000, maxMemoryBytes: 1_000_000 });
    for (const bad of ["os", "os.*", "posix.system; rm", "a..b"]) {
      expect(() => readApiConfig({ KUBESERVE_HOME: home(), SKLEARN_PICKLE_ALLOW: bad })).toThrow(
        /SKLEARN_PICKLE_ALLOW/,
      );
    }
    expect(() =>
      readApiConfig({ KUBESERVE_HOME: home(), SKLEARN_INSPECT_TIMEOUT_SECONDS: "0" }),
    ).toThrow(/SKLEARN_INSPECT_TIMEOUT_SECONDS/);
  });
});
