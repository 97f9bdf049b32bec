/**
 * Checks the V2 bodies against the Open Inference Protocol's published OpenAPI file
 * (../shared/schemas/open-inference-protocol/open_inference_rest.yaml from the repository root):
 * each body is validated with the schema the file gives for that path, method and status.
 */
import { readFileSync } from "node:fs";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv, type ValidateFunction } from "ajv";
import { load } from "js-yaml";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInferenceServer, type TInferenceServer } from "../src/index";
import {
  decodeBinaryResponse,
  encodeBinaryRequest,
  readSamples,
  request,
  startFixture,
} from "./helpers";
import { ELEM, writeIdentityModel, writeNonFiniteModel } from "./onnx-builder";

const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const SPEC_FILE = path.resolve(
  REPO,
  "../shared/schemas/open-inference-protocol/open_inference_rest.yaml",
);

type TOperation = {
  responses: Record<string, { content?: Record<string, { schema: { $ref: string } }> }>;
  requestBody?: { content: Record<string, { schema: { $ref: string } }> };
};
type TSpec = { paths: Record<string, Record<string, TOperation>> };

const spec = load(readFileSync(SPEC_FILE, "utf8")) as TSpec;
const ajv = new Ajv({ allErrors: true, strict: true });
// An OpenAPI annotation, and the container the file's `#/components/schemas/…` refs point into:
// neither is a JSON Schema keyword, everything else in the schemas is checked strictly.
ajv.addKeyword("x-examples");
ajv.addKeyword("components");
ajv.addSchema({ $id: "oip", components: (spec as unknown as { components: unknown }).components });

// The spec's path templates; the server also answers each without /versions/{v}.
const SERVER_METADATA = "/v2/";
const MODEL_METADATA = "/v2/models/${MODEL_NAME}/versions/${MODEL_VERSION}";
const MODEL_READY = "/v2/models/${MODEL_NAME}/versions/${MODEL_VERSION}/ready";
const INFER = "/v2/models/${MODEL_NAME}/versions/${MODEL_VERSION}/infer";

function operation(template: string, method: "get" | "post"): TOperation {
  const op = spec.paths[template]?.[method];
  if (!op) throw new Error(`the spec has no ${method.toUpperCase()} ${template}`);
  return op;
}

function compile(ref: string): ValidateFunction {
  const validate = ajv.getSchema(`oip${ref}`);
  if (!validate) throw new Error(`cannot resolve ${ref} in ${SPEC_FILE}`);
  return validate;
}

/** The schema the spec documents for this response, or undefined when it documents no body. */
function responseValidator(template: string, method: "get" | "post", status: number) {
  const response = operation(template, method).responses[String(status)];
  if (!response) throw new Error(`the spec documents no ${status} for ${method} ${template}`);
  const ref = response.content?.["application/json"]?.schema.$ref;
  return ref === undefined ? undefined : compile(ref);
}

function expectValid(validate: ValidateFunction, body: unknown): void {
  const isValid = validate(body);
  expect(isValid ? [] : ajv.errorsText(validate.errors).split(", "), JSON.stringify(body)).toEqual(
    [],
  );
}

const validateRequest = compile(
  operation(INFER, "post").requestBody!.content["application/json"]!.schema.$ref,
);
const inferResponse = responseValidator(INFER, "post", 200)!;
const inferError = responseValidator(INFER, "post", 400)!;
const modelError = compile("#/components/schemas/metadata_model_error_response");

/** Posts a V2 request after checking that the request itself is what the spec describes. */
async function infer(url: string, body: unknown) {
  expectValid(validateRequest, body);
  return request(url, { body: JSON.stringify(body) });
}

const iris = readSamples("iris-logreg");
const irisRequest = {
  id: "req-1",
  inputs: [{ name: "input", shape: [2, 4], datatype: "FP32", data: iris.inputs.slice(0, 2) }],
};

describe("the OpenAPI file's schemas, as loaded here", () => {
  it("reject bodies that break them, through the $refs", () => {
    const metadata = responseValidator(MODEL_METADATA, "get", 200)!;
    expect(metadata({ name: "m" })).toBe(false); // platform is required
    expect(metadata({ name: "m", platform: "p", inputs: [{ name: "x", datatype: "FP32" }] })).toBe(
      false,
    );
    expect(
      metadata({
        name: "m",
        platform: "p",
        inputs: [{ name: "x", datatype: "FP32", shape: ["1"] }],
      }),
    ).toBe(false);
    expect(inferResponse({ outputs: [] })).toBe(false); // model_name is required
    const output = { name: "y", datatype: "FP32", shape: [2] };
    expect(inferResponse({ model_name: "m", outputs: [output] })).toBe(false); // data is required
    expect(inferResponse({ model_name: "m", outputs: [{ ...output, data: [[1], [null]] }] })).toBe(
      false,
    ); // tensor_data, recursively, holds numbers, strings and booleans only
    expect(inferResponse({ model_name: "m", outputs: [{ ...output, data: [[1], ["NaN"]] }] })).toBe(
      true,
    );
    expect(inferError({ error: 1 })).toBe(false);
    expect(responseValidator(SERVER_METADATA, "get", 200)!({ name: "s", version: "1" })).toBe(
      false,
    );
  });
});

describe("V2 bodies against the Open Inference Protocol OpenAPI file", () => {
  let server: TInferenceServer;
  let base: string;
  let models: string;
  beforeAll(async () => {
    server = await startFixture("iris-logreg", { name: "iris", version: "3" });
    base = server.url;
    models = `${base}/v2/models/iris`;
  });
  afterAll(() => server.close());

  it("health: 200 is the documented answer; the spec documents no body (ours is a JSON object)", async () => {
    for (const [url, template] of [
      [`${base}/v2/health/live`, "/v2/health/live"],
      [`${base}/v2/health/ready`, "/v2/health/ready"],
      [`${models}/ready`, MODEL_READY],
      [`${models}/versions/3/ready`, MODEL_READY],
    ] as const) {
      const reply = await request(url);
      expect(reply.status).toBe(200);
      expect(responseValidator(template, "get", 200)).toBeUndefined();
      expect(typeof reply.body).toBe("object");
    }
  });

  it("server metadata (/v2/ and /v2) is a metadata_server_response", async () => {
    const validate = responseValidator(SERVER_METADATA, "get", 200)!;
    for (const url of [`${base}/v2/`, `${base}/v2`]) {
      const reply = await request(url);
      expect(reply.status).toBe(200);
      expectValid(validate, reply.body);
    }
  });

  it("model metadata, plain and versioned, is a metadata_model_response", async () => {
    const validate = responseValidator(MODEL_METADATA, "get", 200)!;
    for (const url of [models, `${models}/versions/3`]) {
      const reply = await request(url);
      expect(reply.status).toBe(200);
      expectValid(validate, reply.body);
    }
  });

  it("an unknown model's or version's metadata error is a metadata_model_error_response", async () => {
    for (const url of [`${base}/v2/models/nope`, `${models}/versions/9`]) {
      const reply = await request(url);
      expect(reply.status).toBe(404);
      expectValid(modelError, reply.body);
    }
  });

  it("JSON inference responses are inference_responses (id echoed, filtered, versioned)", async () => {
    const bodies = [
      irisRequest,
      { inputs: irisRequest.inputs },
      { ...irisRequest, outputs: [{ name: "label" }] },
      {
        ...irisRequest,
        parameters: { custom: 1 },
        outputs: [{ name: "probabilities", parameters: {} }],
      },
    ];
    for (const url of [`${models}/infer`, `${models}/versions/3/infer`]) {
      for (const body of bodies) {
        const reply = await infer(url, body);
        expect(reply.status).toBe(200);
        expectValid(inferResponse, reply.body);
      }
    }
  });

  it("inference errors (400, 404, 405, 413) are inference_error_responses with a message", async () => {
    const replies = [
      await request(`${models}/infer`, { body: "{" }),
      await request(`${models}/infer`, { body: "[]" }),
      await infer(`${models}/infer`, {
        inputs: [{ ...irisRequest.inputs[0]!, datatype: "INT64" }],
      }),
      await infer(`${models}/infer`, { inputs: [{ ...irisRequest.inputs[0]!, shape: [3, 4] }] }),
      await infer(`${models}/infer`, { ...irisRequest, outputs: [{ name: "nope" }] }),
      await infer(`${base}/v2/models/nope/infer`, irisRequest),
      await infer(`${models}/versions/9/infer`, irisRequest),
      await request(`${models}/infer`, { method: "GET" }),
      await request(`${models}/infer`, { body: "x".repeat(33 * 1024 * 1024) }),
    ];
    expect(replies.map((r) => r.status)).toEqual([400, 400, 400, 400, 400, 404, 404, 405, 413]);
    for (const reply of replies) {
      expectValid(inferError, reply.body);
      // the schema leaves `error` optional; the protocol's text requires the message
      expect(typeof (reply.body as { error?: unknown }).error).toBe("string");
    }
  });

  it("binary extension: the JSON header is an inference_response once `data` may give way to binary_data_size", async () => {
    const data = Float32Array.from(iris.inputs.slice(0, 2).flat());
    const header = {
      inputs: [
        {
          name: "input",
          shape: [2, 4],
          datatype: "FP32",
          parameters: { binary_data_size: data.byteLength },
        },
      ],
      outputs: [{ name: "probabilities", parameters: { binary_data: true } }, { name: "label" }],
    };
    // the extension drops `data` from binary inputs, so the request is checked the same way
    const { body, headers } = encodeBinaryRequest(header, [new Uint8Array(data.buffer)]);
    const res = await fetch(`${models}/infer`, { method: "POST", body, headers });
    expect(res.status).toBe(200);
    const decoded = await decodeBinaryResponse(res);
    const binaryOutputs = decoded.header.outputs.filter((o) => o.data === undefined);
    expect(binaryOutputs.map((o) => o.name)).toEqual(["probabilities"]);
    for (const output of binaryOutputs) {
      expect(output.parameters?.binary_data_size).toBeGreaterThan(0);
    }
    // as the extension specifies: with binary_data_size, `data` is absent; fill it for the schema
    const asJson = {
      ...decoded.header,
      outputs: decoded.header.outputs.map((o) => ({ ...o, data: o.data ?? [] })),
    };
    expectValid(inferResponse, asJson);
  });
});

describe("V2 bodies of every datatype and of non-finite outputs against the OpenAPI file", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "kubeserve-oip-"));
  const servers: TInferenceServer[] = [];
  const start = async (name: string, write: (file: string) => void) => {
    const file = path.join(dir, `${name}.onnx`);
    write(file);
    const server = await startInferenceServer({
      model: file,
      name,
      host: "127.0.0.1",
      port: 0,
      logger: pino({ level: "silent" }),
    });
    servers.push(server);
    return server;
  };
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });

  it.each([
    ["BOOL", ELEM.BOOL, [true, false, false, true]],
    ["UINT8", ELEM.UINT8, [0, 1, 254, 255]],
    ["UINT64", ELEM.UINT64, [0, 1, 2 ** 40, 2 ** 52]],
    ["INT8", ELEM.INT8, [-128, -1, 0, 127]],
    ["INT64", ELEM.INT64, [-(2 ** 52), -1, 0, 2 ** 52]],
    ["FP16", ELEM.FLOAT16, [-1.5, 0, 0.25, 65504]],
    ["FP32", ELEM.FLOAT, [-1.5, 0, 0.25, 2 ** 127]],
    ["FP64", ELEM.DOUBLE, [-1.5, 0, 1e-300, 1.7976931348623157e308]],
    ["BYTES", ELEM.STRING, ["a", "", "ünïcode", 'quote"\\']],
  ] as const)("%s: metadata and inference response", async (datatype, elem, data) => {
    const name = datatype.toLowerCase();
    const server = await start(name, (file) => writeIdentityModel(file, elem));
    const metadata = await request(`${server.url}/v2/models/${name}`);
    expectValid(responseValidator(MODEL_METADATA, "get", 200)!, metadata.body);
    const reply = await infer(`${server.url}/v2/models/${name}/infer`, {
      inputs: [{ name: "x", shape: [2, 2], datatype, data }],
    });
    expect(reply.status).toBe(200);
    expectValid(inferResponse, reply.body);
  });

  it("NaN and ±Infinity outputs are the strings the schema allows, not null", async () => {
    const server = await start("nonfinite", writeNonFiniteModel);
    const reply = await infer(`${server.url}/v2/models/nonfinite/infer`, {
      inputs: [{ name: "x", shape: [1, 2], datatype: "FP32", data: [0, -1] }],
    });
    expect(reply.status).toBe(200);
    expectValid(inferResponse, reply.body);
    const outputs = (reply.body as { outputs: { name: string; data: unknown[] }[] }).outputs;
    expect(outputs.find((o) => o.name === "log")!.data).toEqual(["-Infinity", "NaN"]);
    expect(outputs.find((o) => o.name === "reciprocal")!.data).toEqual(["Infinity", -1]);
    expect(Float32Array.from(outputs[0]!.data as string[], Number)[1]).toBeNaN();
  });
});
