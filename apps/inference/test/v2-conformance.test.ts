import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInferenceServer, type TInferenceServer } from "../src/index";
import {
  type TV2Output,
  decodeBinaryResponse,
  encodeBinaryRequest,
  expectClose,
  postJson,
  readSamples,
  request,
  startFixture,
  toFloat32,
} from "./helpers";
import { ELEM, writeAddModel, writeFixedReshapeModel, writeIdentityModel } from "./onnx-builder";

const iris = readSamples("iris-logreg");
const irisInput = (rows = iris.inputs.slice(0, 2)) => ({
  name: "input",
  shape: [rows.length, 4],
  datatype: "FP32",
  data: rows,
});

describe("Open Inference Protocol V2 on iris", () => {
  let server: TInferenceServer;
  let base: string;
  beforeAll(async () => {
    server = await startFixture("iris-logreg", { name: "iris", version: "3" });
    base = server.url;
  });
  afterAll(() => server.close());

  it("GET /v2/health/live and /v2/health/ready answer 200", async () => {
    expect((await request(`${base}/v2/health/live`)).body).toEqual({ live: true });
    expect((await request(`${base}/v2/health/ready`)).body).toEqual({ ready: true });
  });

  it("GET /v2 and /v2/ return server metadata with the extensions", async () => {
    for (const url of [`${base}/v2`, `${base}/v2/`]) {
      const reply = await request(url);
      expect(reply.status).toBe(200);
      expect(reply.body).toMatchObject({ name: "kubeserve-inference" });
      expect((reply.body as { extensions: string[] }).extensions).toContain("binary_tensor_data");
    }
  });

  it("GET /v2/models lists the model", async () => {
    const reply = await request(`${base}/v2/models`);
    expect(reply.body).toEqual({ models: [{ name: "iris", version: "3", state: "READY" }] });
  });

  it("GET model metadata, plain and versioned, with -1 for the dynamic dimension", async () => {
    const expected = {
      name: "iris",
      versions: ["3"],
      platform: "onnx_onnxv1",
      inputs: [{ name: "input", datatype: "FP32", shape: [-1, 4] }],
      outputs: [
        { name: "probabilities", datatype: "FP32", shape: [-1, 3] },
        { name: "label", datatype: "INT64", shape: [-1] },
      ],
    };
    expect((await request(`${base}/v2/models/iris`)).body).toEqual(expected);
    expect((await request(`${base}/v2/models/iris/versions/3`)).body).toEqual(expected);
  });

  it("GET model ready, plain and versioned", async () => {
    expect((await request(`${base}/v2/models/iris/ready`)).status).toBe(200);
    expect((await request(`${base}/v2/models/iris/versions/3/ready`)).status).toBe(200);
  });

  it("GET Triton config leaves out the batch dimension", async () => {
    const reply = await request(`${base}/v2/models/iris/config`);
    expect(reply.body).toMatchObject({
      name: "iris",
      platform: "onnxruntime_onnx",
      max_batch_size: 32,
      input: [{ name: "input", data_type: "TYPE_FP32", dims: [4] }],
      output: [
        { name: "probabilities", data_type: "TYPE_FP32", dims: [3] },
        { name: "label", data_type: "TYPE_INT64", dims: [] },
      ],
    });
  });

  it("POST infer echoes id, and /stats counts the inference", async () => {
    const reply = await postJson(`${base}/v2/models/iris/infer`, {
      id: "req-42",
      inputs: [irisInput()],
    });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ model_name: "iris", model_version: "3", id: "req-42" });
    const stats = (await request(`${base}/v2/models/iris/stats`)).body as {
      model_stats: { name: string; inference_count: number; execution_count: number }[];
    };
    expect(stats.model_stats[0]!.name).toBe("iris");
    expect(stats.model_stats[0]!.inference_count).toBeGreaterThanOrEqual(2);
    expect(stats.model_stats[0]!.execution_count).toBeGreaterThanOrEqual(1);
  });

  it("POST on the versioned path works and omits id when none was sent", async () => {
    const reply = await postJson(`${base}/v2/models/iris/versions/3/infer`, {
      inputs: [irisInput()],
    });
    expect(reply.status).toBe(200);
    expect(reply.body).not.toHaveProperty("id");
    expect((reply.body as { outputs: TV2Output[] }).outputs.map((o) => o.name)).toEqual([
      "probabilities",
      "label",
    ]);
  });

  it("accepts flat data with an explicit shape, same numbers as nested", async () => {
    const nested = await postJson(`${base}/v2/models/iris/infer`, { inputs: [irisInput()] });
    const flat = await postJson(`${base}/v2/models/iris/infer`, {
      inputs: [{ ...irisInput(), data: iris.inputs.slice(0, 2).flat() }],
    });
    expect(flat.status).toBe(200);
    expect(flat.body).toEqual(nested.body);
  });

  it("an outputs filter returns only the requested outputs", async () => {
    const reply = await postJson(`${base}/v2/models/iris/infer`, {
      inputs: [irisInput()],
      outputs: [{ name: "label" }],
    });
    const outputs = (reply.body as { outputs: TV2Output[] }).outputs;
    expect(outputs).toHaveLength(1);
    expect(outputs[0]).toEqual({
      name: "label",
      datatype: "INT64",
      shape: [2],
      data: iris.predict.slice(0, 2),
    });
  });

  it("ignores request and input parameters it does not know", async () => {
    const reply = await postJson(`${base}/v2/models/iris/infer`, {
      parameters: { priority: 1 },
      inputs: [{ ...irisInput(), parameters: { content_type: "np" } }],
    });
    expect(reply.status).toBe(200);
  });

  it("binary extension: binary input, one binary and one JSON output", async () => {
    const input = Float32Array.from(iris.inputs.slice(0, 3).flat());
    const { body, headers } = encodeBinaryRequest(
      {
        id: "bin-1",
        inputs: [
          {
            name: "input",
            shape: [3, 4],
            datatype: "FP32",
            parameters: { binary_data_size: input.byteLength },
          },
        ],
        outputs: [
          { name: "probabilities", parameters: { binary_data: true } },
          { name: "label", parameters: { binary_data: false } },
        ],
      },
      [new Uint8Array(input.buffer)],
    );
    const res = await fetch(`${base}/v2/models/iris/infer`, { method: "POST", body, headers });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/octet-stream");
    const decoded = await decodeBinaryResponse(res);
    expect(decoded.header.id).toBe("bin-1");
    expect(decoded.offset).toBe(decoded.totalLength);
    const probabilities = decoded.header.outputs.find((o) => o.name === "probabilities")!;
    expect(probabilities.parameters?.binary_data_size).toBe(3 * 3 * 4);
    expectClose(
      toFloat32(decoded.bytes.get("probabilities")!),
      iris.predict_proba!.slice(0, 3).flat(),
    );
    const label = decoded.header.outputs.find((o) => o.name === "label")!;
    expect(label.data).toEqual(iris.predict.slice(0, 3));
  });

  it("binary extension: wrong binary_data_size is a 400 naming the input", async () => {
    const input = new Float32Array(4);
    const { body, headers } = encodeBinaryRequest(
      {
        inputs: [
          {
            name: "input",
            shape: [2, 4],
            datatype: "FP32",
            parameters: { binary_data_size: input.byteLength },
          },
        ],
      },
      [new Uint8Array(input.buffer)],
    );
    const res = await fetch(`${base}/v2/models/iris/infer`, { method: "POST", body, headers });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toContain("input 'input'");
  });

  it("400 for a bad request, with an error message", async () => {
    const reply = await postJson(`${base}/v2/models/iris/infer`, {
      inputs: [{ ...irisInput(), datatype: "FP64" }],
    });
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual({ error: "input 'input': expected datatype FP32, got FP64" });
  });

  it("400 for an unknown output name in the filter", async () => {
    const reply = await postJson(`${base}/v2/models/iris/infer`, {
      inputs: [irisInput()],
      outputs: [{ name: "logits" }],
    });
    expect(reply.status).toBe(400);
    expect((reply.body as { error: string }).error).toContain("unknown output 'logits'");
  });

  it("404 for an unknown model and an unknown version, on every V2 path", async () => {
    for (const url of [
      `${base}/v2/models/other`,
      `${base}/v2/models/other/ready`,
      `${base}/v2/models/iris/versions/9`,
      `${base}/v2/models/iris/versions/9/ready`,
    ]) {
      const reply = await request(url);
      expect(reply.status, url).toBe(404);
      expect(reply.body).toHaveProperty("error");
    }
    const infer = await postJson(`${base}/v2/models/other/infer`, { inputs: [irisInput()] });
    expect(infer.status).toBe(404);
    expect((infer.body as { error: string }).error).toContain("unknown model 'other'");
    const version = await postJson(`${base}/v2/models/iris/versions/9/infer`, {
      inputs: [irisInput()],
    });
    expect(version.status).toBe(404);
    expect((version.body as { error: string }).error).toContain("unknown version '9'");
  });

  it("405 for a wrong method on a known path", async () => {
    expect((await request(`${base}/v2/models/iris/infer`)).status).toBe(405);
  });

  it("KServe V1 model list and status", async () => {
    expect((await request(`${base}/v1/models`)).body).toEqual({ models: ["iris"] });
    expect((await request(`${base}/v1/models/iris`)).body).toEqual({ name: "iris", ready: true });
    expect((await request(`${base}/health`)).body).toEqual({ status: "ok" });
  });

  it("/metrics exposes the documented metric names with model, version and deployment", async () => {
    await postJson(`${base}/predict`, { instances: iris.inputs.slice(0, 3) });
    const text = (await request(`${base}/metrics`)).text;
    for (const name of [
      "requests_total",
      "prediction_latency_ms_bucket",
      "predictions_total",
      "queue_wait_ms_bucket",
      "batch_size_bucket",
      "inference_run_ms_bucket",
      "requests_in_flight",
      "model_load_seconds",
      "model_ready",
    ]) {
      expect(text, name).toMatch(
        new RegExp(`^${name}\\{.*model="iris",version="3",deployment=""`, "m"),
      );
    }
    expect(text).toMatch(/^predictions_total\{protocol="predict",.*\} [3-9]\d*$/m);
    expect(text).toMatch(/^requests_total\{protocol="v2",code="404",.*\} [1-9]/m);
  });
});

describe("V2 datatypes through Identity models", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "kubeserve-dtypes-"));
  const servers: TInferenceServer[] = [];
  const start = async (elem: number, name: string) => {
    const file = path.join(dir, `${name}.onnx`);
    writeIdentityModel(file, elem);
    const server = await startInferenceServer({
      model: file,
      host: "127.0.0.1",
      port: 0,
      logger: pino({ level: "silent" }),
    });
    servers.push(server);
    return server;
  };
  afterAll(() => Promise.all(servers.map((s) => s.close())));

  const cases: [string, number, unknown[]][] = [
    ["BOOL", ELEM.BOOL, [true, false, false, true]],
    ["UINT8", ELEM.UINT8, [0, 1, 254, 255]],
    ["UINT16", ELEM.UINT16, [0, 1, 65534, 65535]],
    ["UINT32", ELEM.UINT32, [0, 1, 4294967294, 4294967295]],
    ["UINT64", ELEM.UINT64, [0, 1, 2 ** 40, 2 ** 52]],
    ["INT8", ELEM.INT8, [-128, -1, 0, 127]],
    ["INT16", ELEM.INT16, [-32768, -1, 0, 32767]],
    ["INT32", ELEM.INT32, [-2147483648, -1, 0, 2147483647]],
    ["INT64", ELEM.INT64, [-(2 ** 52), -1, 0, 2 ** 52]],
    ["FP32", ELEM.FLOAT, [-1.5, 0, 0.25, 2 ** 127]],
    ["FP64", ELEM.DOUBLE, [-1.5, 0, 1e-300, 1.7976931348623157e308]],
    ["BYTES", ELEM.STRING, ["a", "", "ünïcode", 'quote"\\']],
  ];

  it.each(cases)("%s round-trips through JSON", async (datatype, elem, data) => {
    const server = await start(elem, datatype.toLowerCase());
    const meta = (await request(`${server.url}/v2/models/${datatype.toLowerCase()}`)).body;
    expect(meta).toMatchObject({ inputs: [{ name: "x", datatype, shape: [-1, 2] }] });
    const reply = await postJson(`${server.url}/v2/models/${datatype.toLowerCase()}/infer`, {
      inputs: [{ name: "x", shape: [2, 2], datatype, data }],
    });
    expect(reply.status, reply.text).toBe(200);
    expect((reply.body as { outputs: TV2Output[] }).outputs[0]).toEqual({
      name: "y",
      datatype,
      shape: [2, 2],
      data,
    });
  });

  it("UINT8 rejects values out of range and non-integers", async () => {
    const server =
      servers.find((s) => s.config.name === "uint8") ?? (await start(ELEM.UINT8, "uint8"));
    for (const data of [
      [0, 1, 2, 256],
      [0, 1, 2, 1.5],
      [0, 1, 2, -1],
    ]) {
      const reply = await postJson(`${server.url}/v2/models/uint8/infer`, {
        inputs: [{ name: "x", shape: [2, 2], datatype: "UINT8", data }],
      });
      expect(reply.status).toBe(400);
      expect((reply.body as { error: string }).error).toContain("input 'x'");
    }
  });

  it("FP16 works with the binary extension and as JSON numbers (rounded to nearest even)", async () => {
    const server = await start(ELEM.FLOAT16, "fp16");
    const url = `${server.url}/v2/models/fp16/infer`;
    const halfs = Uint16Array.from([0x3c00, 0xc000, 0x0000, 0x7bff]); // 1, -2, 0, 65504
    const { body, headers } = encodeBinaryRequest(
      {
        inputs: [
          { name: "x", shape: [2, 2], datatype: "FP16", parameters: { binary_data_size: 8 } },
        ],
        outputs: [{ name: "y", parameters: { binary_data: true } }],
      },
      [new Uint8Array(halfs.buffer)],
    );
    const res = await fetch(url, { method: "POST", body, headers });
    expect(res.status).toBe(200);
    const decoded = await decodeBinaryResponse(res);
    expect(Array.from(new Uint16Array(new Uint8Array(decoded.bytes.get("y")!).buffer))).toEqual(
      Array.from(halfs),
    );
    for (const data of [
      [1, -2, 0.1, 65504],
      [
        [1, -2],
        [0.1, 65504],
      ],
    ]) {
      const json = await postJson(url, {
        inputs: [{ name: "x", shape: [2, 2], datatype: "FP16", data }],
      });
      expect(json.status, json.text).toBe(200);
      expect((json.body as { outputs: TV2Output[] }).outputs[0]).toMatchObject({
        datatype: "FP16",
        shape: [2, 2],
        data: [1, -2, 0.0999755859375, 65504],
      });
    }
    const tooLarge = await postJson(url, {
      inputs: [{ name: "x", shape: [1, 2], datatype: "FP16", data: [1, 65536] }],
    });
    expect(tooLarge.status).toBe(400);
    expect((tooLarge.body as { error: string }).error).toContain("FP16 range");
  });

  it("BYTES works with the binary extension (4-byte length prefixes)", async () => {
    const server =
      servers.find((s) => s.config.name === "bytes") ?? (await start(ELEM.STRING, "bytes"));
    const values = ["x", "", "héllo", "z"];
    const parts = values.map((v) => {
      const b = Buffer.from(v);
      const head = Buffer.alloc(4);
      head.writeUInt32LE(b.length);
      return Buffer.concat([head, b]);
    });
    const payload = Buffer.concat(parts);
    const { body, headers } = encodeBinaryRequest(
      {
        inputs: [
          {
            name: "x",
            shape: [2, 2],
            datatype: "BYTES",
            parameters: { binary_data_size: payload.length },
          },
        ],
        parameters: { binary_data_output: true },
      },
      [payload],
    );
    const res = await fetch(`${server.url}/v2/models/bytes/infer`, {
      method: "POST",
      body,
      headers,
    });
    expect(res.status).toBe(200);
    const decoded = await decodeBinaryResponse(res);
    expect(decoded.bytes.get("y")!.equals(payload)).toBe(true);
  });

  it("a model with two inputs takes both, in any order, and V1 takes named rows", async () => {
    const file = path.join(dir, "add.onnx");
    writeAddModel(file);
    const server = await startInferenceServer({
      model: file,
      host: "127.0.0.1",
      port: 0,
      logger: pino({ level: "silent" }),
    });
    servers.push(server);
    const reply = await postJson(`${server.url}/v2/models/add/infer`, {
      inputs: [
        { name: "b", shape: [1, 2], datatype: "FP32", data: [10, 20] },
        { name: "a", shape: [1, 2], datatype: "FP32", data: [1, 2] },
      ],
    });
    expect((reply.body as { outputs: TV2Output[] }).outputs[0]!.data).toEqual([11, 22]);
    const missing = await postJson(`${server.url}/v2/models/add/infer`, {
      inputs: [{ name: "a", shape: [1, 2], datatype: "FP32", data: [1, 2] }],
    });
    expect(missing.status).toBe(400);
    expect((missing.body as { error: string }).error).toContain("missing input(s): b");
    const v1 = await postJson(`${server.url}/v1/models/add:predict`, {
      instances: [
        { a: [1, 2], b: [3, 4] },
        { a: [5, 6], b: [7, 8] },
      ],
    });
    expect(v1.body).toEqual({
      predictions: [
        [4, 6],
        [12, 14],
      ],
    });
  });
});

describe("500 when the runtime fails", () => {
  let server: TInferenceServer;
  beforeAll(async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "kubeserve-500-")), "fixed.onnx");
    writeFixedReshapeModel(file);
    server = await startInferenceServer({
      model: file,
      host: "127.0.0.1",
      port: 0,
      logger: pino({ level: "silent" }),
    });
  });
  afterAll(() => server.close());

  it("answers 500 with the runtime's message and keeps serving", async () => {
    const url = `${server.url}/v2/models/fixed/infer`;
    const bad = await postJson(url, {
      inputs: [{ name: "x", shape: [2, 4], datatype: "FP32", data: [1, 2, 3, 4, 5, 6, 7, 8] }],
    });
    expect(bad.status).toBe(500);
    expect((bad.body as { error: string }).error).toContain("inference failed");
    const good = await postJson(url, {
      inputs: [{ name: "x", shape: [1, 4], datatype: "FP32", data: [1, 2, 3, 4] }],
    });
    expect(good.status).toBe(200);
    expect((good.body as { outputs: TV2Output[] }).outputs[0]!.data).toEqual([1, 2, 3, 4]);
  });
});
