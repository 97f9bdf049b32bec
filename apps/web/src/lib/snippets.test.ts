import { execFile, execFileSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  curlV1,
  curlV2,
  tsKeyPlaceholder,
  typescriptV2,
  v1Instances,
  v2InferUrl,
} from "./snippets";
import { exampleRequest, type TSignature } from "./try-it";

const run = promisify(execFile);

const body = JSON.stringify({
  inputs: [{ name: "x", shape: [2, 2], datatype: "FP32", data: [1, 2, 3, 4] }],
});

describe("snippets", () => {
  it("builds the V2 infer path and V1 rows", () => {
    expect(v2InferUrl("http://h/api/v1/deployments/d1/v2", "iris")).toBe(
      "http://h/api/v1/deployments/d1/v2/models/iris/infer",
    );
    expect(v1Instances(body)).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });

  it("writes curl commands a shell parses back into the same JSON body", () => {
    const tricky = JSON.stringify({
      inputs: [{ name: "it's", shape: [1], datatype: "BYTES", data: ["a'b"] }],
    });
    for (const command of [
      curlV2("http://h/v2", "iris", tricky),
      curlV1("http://h/p", [["a'b"]]),
    ]) {
      // `sh -c` with curl replaced by printf: prints the last (-d) argument exactly as curl would receive it.
      const printed = execFileSync(
        "sh",
        ["-c", `curl() { for a; do last=$a; done; printf '%s' "$last"; }; ${command}`],
        {
          env: { ...process.env, KUBESERVE_API_KEY: "k" },
        },
      ).toString();
      expect(JSON.parse(printed)).toEqual(
        command.includes("/v2") ? JSON.parse(tricky) : { instances: [["a'b"]] },
      );
    }
  });
});

// What the API stores for the fixture iris-logreg.onnx (read by onnxruntime at upload).
const iris: TSignature = {
  inputs: [{ name: "input", datatype: "FP32", shape: [-1, 4], dimNames: ["N", null] }],
  outputs: [
    { name: "probabilities", datatype: "FP32", shape: [-1, 3], dimNames: ["N", null] },
    { name: "label", datatype: "INT64", shape: [-1], dimNames: ["N"] },
  ],
};

const globals = `
type TResponse = { ok: boolean; status: number; text(): Promise<string>; json(): Promise<any> };
declare function fetch(
  url: string,
  init: { method: string; headers: Record<string, string>; body: string },
): Promise<TResponse>;
declare const console: { log(...values: unknown[]): void };`;

type TCaptured = { method: string; url: string; headers: IncomingHttpHeaders; body: unknown };

/** The rules the model server applies to a V2 body: every input once, its name, datatype and shape. */
function expectV2Body(body: unknown, signature: TSignature) {
  const { inputs } = body as {
    inputs: { name: string; shape: number[]; datatype: string; data: unknown[] }[];
  };
  expect(inputs.map((i) => i.name)).toEqual(signature.inputs.map((i) => i.name));
  for (const [index, input] of inputs.entries()) {
    const spec = signature.inputs[index]!;
    expect(input.datatype).toBe(spec.datatype);
    expect(input.shape).toHaveLength(spec.shape.length);
    input.shape.forEach((dim, d) => expect(dim).toBe(spec.shape[d]! > 0 ? spec.shape[d] : 1));
    expect(input.data).toHaveLength(input.shape.reduce((a, b) => a * b, 1));
    expect(input.data.every((v) => typeof v === "number" && Number.isFinite(v))).toBe(true);
  }
}

describe("snippets against a listening server", () => {
  const captured: TCaptured[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString();
      captured.push({
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body: JSON.parse(text),
      });
      res.setHeader("content-type", "application/json");
      res.end(
        JSON.stringify({
          model_name: "iris",
          outputs: [
            { name: "probabilities", datatype: "FP32", shape: [1, 3], data: [0.9, 0.06, 0.04] },
          ],
        }),
      );
    });
  });
  let base = "";
  let dir = "";
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
    dir = await mkdtemp(path.join(tmpdir(), "snippets-"));
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  const id = "0190a000-0000-7000-8000-0000000000d1";
  const body = exampleRequest(iris);

  it("curl V2 and V1 send the key and a body of the signature's shape", async () => {
    const env = { ...process.env, KUBESERVE_API_KEY: "ks_test_key" };
    await run("sh", ["-c", curlV2(`${base}/deployments/${id}/v2`, "iris", body)], { env });
    await run("sh", ["-c", curlV1(`${base}/predict/${id}`, v1Instances(body))], { env });
    const [v2, v1] = captured.splice(0);
    expect(v2).toMatchObject({
      method: "POST",
      url: `/api/v1/deployments/${id}/v2/models/iris/infer`,
    });
    expect(v2?.headers.authorization).toBe("Bearer ks_test_key");
    expect(v2?.headers["content-type"]).toBe("application/json");
    expectV2Body(v2?.body, iris);
    expect(v1).toMatchObject({ method: "POST", url: `/api/v1/predict/${id}` });
    expect(v1?.headers.authorization).toBe("Bearer ks_test_key");
    // V1 rows: one per example row, each as wide as the input's feature dimension.
    expect(v1?.body).toEqual({ instances: [[5.1, 3.5, 1.4, 0.2]] });
  });

  it("the TypeScript snippet compiles, runs with a real key and prints the outputs", async () => {
    const snippet = typescriptV2(`${base}/deployments/${id}/v2`, "iris", body);
    expect(snippet).toContain(`const apiKey = "${tsKeyPlaceholder}"`);
    expect(snippet).toContain("Bearer ${apiKey}");
    // Type-checks strictly as a module on its own; fetch and console declared as the DOM declares
    // them (lib.dom itself takes ~20 s to load on this machine).
    const file = path.join(dir, "call.ts");
    await writeFile(file, `${globals}\n${snippet}\nexport {};\n`);
    const program = ts.createProgram([file], {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      lib: ["lib.es2022.d.ts"],
      types: [],
    });
    const problems = ts
      .getPreEmitDiagnostics(program)
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
    expect(problems).toEqual([]);
    const js = ts.transpileModule(snippet.replace(tsKeyPlaceholder, "ks_test_key"), {
      compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
    }).outputText;
    await writeFile(path.join(dir, "call.mjs"), js);
    const { stdout } = await run(process.execPath, [path.join(dir, "call.mjs")]);
    expect(stdout).toContain("probabilities");
    const [call] = captured.splice(0);
    expect(call).toMatchObject({
      method: "POST",
      url: `/api/v1/deployments/${id}/v2/models/iris/infer`,
    });
    expect(call?.headers.authorization).toBe("Bearer ks_test_key");
    expect(call?.headers["content-type"]).toBe("application/json");
    expectV2Body(call?.body, iris);
    expect(call?.body).toEqual(JSON.parse(body));
  }, 30_000);
});
