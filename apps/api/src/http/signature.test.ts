import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { waitFor } from "@kubeserve/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inspectOnnxFile } from "../services/onnx-inspect.service";
import {
  createHarness,
  startHttp,
  type THarness,
  type THttpServer,
  type TSignedUp,
} from "../test/harness";
import { authHeaders, createVersion, fixture, FIXTURES_DIR, ONNX_FIXTURES } from "../test/uploads";

// The signature an upload records is what the model server reports in its V2 metadata for the same file.

const inferenceCli = fileURLToPath(new URL("../../../inference/src/cli.ts", import.meta.url));
const token = "signature-test-token-0123456789";

async function startModelServer(file: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", inferenceCli, "--model", file, "--name", "m", "--port", "0"],
    {
      env: { ...process.env, KUBESERVE_AUTH_TOKEN: token },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.resume();
  const url = await waitFor(
    () => (/"msg":"listening"/.test(out) ? /"url":"(http:[^"]+)"/.exec(out)?.[1] : undefined),
    {
      what: `model server for ${file}`,
      timeoutMs: 60_000,
      abortIf: () => (child.exitCode !== null ? out : undefined),
    },
  );
  // It listens before it has loaded the model: metadata is served once it is ready.
  await waitFor(
    async () =>
      (await fetch(`${url}/v2/health/ready`, { headers: { authorization: `Bearer ${token}` } }))
        .ok || undefined,
    { what: `model server for ${file} to be ready`, timeoutMs: 60_000 },
  );
  return { url, child };
}

type TTensor = { name: string; datatype: string; shape: number[] };
const plain = (tensors: TTensor[]) =>
  tensors.map(({ name, datatype, shape }) => ({ name, datatype, shape }));

describe("ONNX signatures", () => {
  let h: THarness;
  let server: THttpServer;
  let alice: TSignedUp;

  beforeAll(async () => {
    h = await createHarness("postgres");
    server = await startHttp(h);
    alice = await h.signUp("alice");
  });

  afterAll(async () => {
    await server?.close();
    await h?.destroy();
  });

  it.each(ONNX_FIXTURES)(
    "%s: version.signature equals the model server's V2 metadata",
    { timeout: 120_000 },
    async (name) => {
      const version = await createVersion(alice);
      const upload = await fetch(
        `${server.url}/api/v1/versions/${version.id}/artifact?filename=${name}.onnx`,
        { method: "PUT", headers: authHeaders(alice.token), body: fixture(`${name}.onnx`) },
      );
      expect(upload.status).toBe(200);
      const signature = await alice.api.version.signature({ id: version.id });
      const { url, child } = await startModelServer(path.join(FIXTURES_DIR, `${name}.onnx`));
      try {
        const response = await fetch(`${url}/v2/models/m`, {
          headers: { authorization: `Bearer ${token}` },
        });
        const metadata = (await response.json()) as { inputs: TTensor[]; outputs: TTensor[] };
        expect(signature).not.toBeNull();
        expect(plain(signature!.inputs)).toEqual(metadata.inputs);
        expect(plain(signature!.outputs)).toEqual(metadata.outputs);
        expect(signature!.inputs[0]?.dimNames?.[0]).toBe("N");
      } finally {
        child.kill("SIGTERM");
      }
    },
  );

  it("the inspection's memory limit is real: a limit too small to start onnxruntime fails clearly", async () => {
    const result = await inspectOnnxFile(path.join(FIXTURES_DIR, "iris-logreg.onnx"), {
      timeoutMs: 60_000,
      maxMemoryBytes: 256 * 1024 * 1024,
    });
    expect(result).toEqual({
      isValid: false,
      reason: expect.stringContaining("more memory than the inspection allows") as string,
    });
  });

  it("the inspection's time limit is real", async () => {
    const result = await inspectOnnxFile(path.join(FIXTURES_DIR, "mlp-wide.onnx"), {
      timeoutMs: 1,
      maxMemoryBytes: 8 * 1024 ** 3,
    });
    expect(result).toEqual({
      isValid: false,
      reason: expect.stringContaining("took longer than") as string,
    });
  });
});
