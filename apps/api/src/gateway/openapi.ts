import type { TSignature } from "../schemas/version";
import type { TRoute } from "./directory";

// One OpenAPI 3 document per deployment, generated from its signature, so clients and the dashboard's
// try-it form share one contract for its prediction endpoints. The V2 bodies are the Open Inference
// Protocol's (inference_request / inference_response of its published OpenAPI file), narrowed to this
// model's inputs and outputs; openapi.test.ts checks both against the OpenAPI 3.0 schema and the protocol.

type TSchema = Record<string, unknown>;
type TTensorSpec = TSignature["inputs"][number];

const jsonNumberTypes = new Set(["FP16", "FP32", "FP64"]);
const ref = (name: string): TSchema => ({ $ref: `#/components/schemas/${name}` });

function elementSchema(datatype: string): TSchema {
  if (datatype === "BOOL") return { type: "boolean" };
  if (datatype === "BYTES") return { type: "string" };
  if (jsonNumberTypes.has(datatype)) return { type: "number" };
  return { type: "integer" };
}

function exampleElement(datatype: string): unknown {
  if (datatype === "BOOL") return false;
  if (datatype === "BYTES") return "text";
  return jsonNumberTypes.has(datatype) ? 0.5 : 1;
}

/** Component names allow only [A-Za-z0-9._-]; a datatype always fits, a tensor name may not. */
function dataSchemaName(datatype: string): string {
  return `tensor_data_${datatype.replace(/[^A-Za-z0-9._-]/g, "_")}`;
}

/** One row of an input (its shape without the batch dimension) as nested arrays: fixed sizes exact. */
function rowSchema(spec: TTensorSpec): TSchema {
  let schema = elementSchema(spec.datatype);
  for (const dim of spec.shape.slice(1).reverse()) {
    schema =
      dim > 0
        ? { type: "array", items: schema, minItems: dim, maxItems: dim }
        : { type: "array", items: schema, minItems: 1 };
  }
  return schema;
}

function exampleRow(spec: TTensorSpec): unknown {
  const build = (dims: number[]): unknown =>
    dims.length === 0
      ? exampleElement(spec.datatype)
      : Array.from({ length: dims[0] && dims[0] > 0 ? dims[0] : 1 }, () => build(dims.slice(1)));
  return build(spec.shape.slice(1));
}

/** A V2 tensor (request_input / response_output): for a known input its name, datatype and rank. */
function tensorSchema(spec: TTensorSpec | undefined, isRequest: boolean): TSchema {
  const shape = { type: "array", items: { type: "integer", minimum: 0 } };
  return {
    type: "object",
    required: ["name", "shape", "datatype", "data"],
    properties: {
      name: spec ? { type: "string", enum: [spec.name] } : { type: "string" },
      shape:
        spec && isRequest
          ? {
              ...shape,
              minItems: spec.shape.length,
              maxItems: spec.shape.length,
              description: `[${spec.shape.join(", ")}] (-1 = any size)`,
            }
          : shape,
      datatype: spec ? { type: "string", enum: [spec.datatype] } : { type: "string" },
      parameters: ref("parameters"),
      data: spec ? ref(dataSchemaName(spec.datatype)) : ref("tensor_data"),
    },
  };
}

/** Protocol-wide schemas plus one recursive `data` schema per datatype in the signature. */
function componentSchemas(signature: TSignature | null): TSchema {
  const schemas: TSchema = {
    parameters: { type: "object" },
    tensor_data: {
      type: "array",
      items: {
        anyOf: [ref("tensor_data"), { type: "number" }, { type: "string" }, { type: "boolean" }],
      },
    },
    metadata_tensor: {
      type: "object",
      required: ["name", "datatype", "shape"],
      properties: {
        name: { type: "string" },
        datatype: { type: "string" },
        shape: { type: "array", items: { type: "integer" } },
      },
    },
    metadata_model_response: {
      type: "object",
      required: ["name", "platform"],
      properties: {
        name: { type: "string" },
        versions: { type: "array", items: { type: "string" } },
        platform: { type: "string" },
        inputs: { type: "array", items: ref("metadata_tensor") },
        outputs: { type: "array", items: ref("metadata_tensor") },
      },
    },
    inference_error: {
      type: "object",
      description: "The model server's error (Open Inference Protocol inference_error_response)",
      required: ["error"],
      properties: { error: { type: "string" } },
    },
    gateway_error: {
      type: "object",
      description: "An error answered by the gateway itself",
      required: ["error"],
      properties: {
        error: {
          type: "object",
          required: ["code", "message"],
          properties: {
            code: { type: "string" },
            message: { type: "string" },
            requestId: { type: "string" },
          },
        },
      },
    },
  };
  const tensors = [...(signature?.inputs ?? []), ...(signature?.outputs ?? [])];
  for (const datatype of new Set(tensors.map((t) => t.datatype))) {
    const name = dataSchemaName(datatype);
    schemas[name] = {
      type: "array",
      description: `${datatype} elements, flat or nested row-major`,
      items: { anyOf: [ref(name), elementSchema(datatype)] },
    };
  }
  return schemas;
}

function v1Instances(inputs: TTensorSpec[]): TSchema {
  const [only] = inputs;
  if (inputs.length === 0) return { type: "array", minItems: 1, items: {} };
  if (inputs.length === 1 && only) return { type: "array", minItems: 1, items: rowSchema(only) };
  // Several inputs: TF-Serving style rows, one object per row naming every input.
  return {
    type: "array",
    minItems: 1,
    items: {
      type: "object",
      required: inputs.map((i) => i.name),
      properties: Object.fromEntries(inputs.map((i) => [i.name, rowSchema(i)])),
    },
  };
}

function v1Example(inputs: TTensorSpec[]): unknown {
  const [only] = inputs;
  if (inputs.length === 1 && only) return { instances: [exampleRow(only)] };
  if (inputs.length === 0) return undefined;
  return { instances: [Object.fromEntries(inputs.map((i) => [i.name, exampleRow(i)]))] };
}

function v2Example(inputs: TTensorSpec[]): unknown {
  if (inputs.length === 0) return undefined;
  return {
    inputs: inputs.map((input) => {
      const shape = input.shape.map((dim) => (dim > 0 ? dim : 1));
      const count = shape.reduce((a, b) => a * b, 1);
      return {
        name: input.name,
        shape,
        datatype: input.datatype,
        data: Array.from({ length: count }, () => exampleElement(input.datatype)),
      };
    }),
  };
}

function v2RequestSchema(signature: TSignature | null): TSchema {
  const inputs = signature?.inputs ?? [];
  const outputs = signature?.outputs ?? [];
  return {
    type: "object",
    required: ["inputs"],
    properties: {
      id: { type: "string" },
      parameters: ref("parameters"),
      inputs: signature
        ? {
            type: "array",
            description: `Every input once: ${inputs.map((i) => i.name).join(", ")}`,
            items: inputs.length > 0 ? { oneOf: inputs.map((i) => tensorSchema(i, true)) } : {},
            minItems: inputs.length,
            maxItems: inputs.length,
          }
        : { type: "array", items: tensorSchema(undefined, true) },
      outputs: {
        type: "array",
        minItems: 1,
        items: {
          type: "object",
          required: ["name"],
          properties: {
            name:
              outputs.length > 0
                ? { type: "string", enum: outputs.map((o) => o.name) }
                : { type: "string" },
            parameters: ref("parameters"),
          },
        },
      },
    },
  };
}

function v2ResponseSchema(signature: TSignature | null): TSchema {
  const outputs = signature?.outputs ?? [];
  return {
    type: "object",
    required: ["model_name", "outputs"],
    properties: {
      model_name: { type: "string" },
      model_version: { type: "string" },
      id: { type: "string" },
      parameters: ref("parameters"),
      outputs: {
        type: "array",
        items:
          outputs.length > 0
            ? { oneOf: outputs.map((o) => tensorSchema(o, false)) }
            : tensorSchema(undefined, false),
      },
    },
  };
}

const json = (schema: TSchema, example?: unknown): TSchema => ({
  "application/json": example === undefined ? { schema } : { schema, example },
});

function errorResponse(description: string, schema = ref("gateway_error")): TSchema {
  return { description, content: json(schema) };
}

const errors = {
  "400": errorResponse("The model rejected the request (the message names the input)", {
    oneOf: [ref("inference_error"), ref("gateway_error")],
  }),
  "401": errorResponse("No, a wrong or a revoked API key"),
  "403": errorResponse("The API key is scoped to other deployments"),
  "404": errorResponse("No such deployment"),
  "413": errorResponse("The request body is larger than the gateway accepts"),
  "429": errorResponse("Rate limit exceeded (see Retry-After)"),
  "502": errorResponse("The model server failed to answer"),
  "503": errorResponse("No replica ready (see Retry-After)"),
};

export function buildOpenApi(route: TRoute, baseUrl: string): TSchema {
  const { signature } = route;
  const inputs = signature?.inputs ?? [];
  const outputs = signature?.outputs ?? [];
  const security = route.isPublic
    ? [{}, { bearer: [] }, { apiKey: [] }]
    : [{ bearer: [] }, { apiKey: [] }];
  const base = `/api/v1/deployments/${route.id}/v2/models/${encodeURIComponent(route.modelName)}`;
  const describeOutputs = outputs
    .map((o) => `${o.name} ${o.datatype}[${o.shape.join(",")}]`)
    .join(", ");
  return {
    openapi: "3.0.3",
    info: {
      title: `${route.name} predictions`,
      version: "1",
      description: `Prediction endpoints of deployment '${route.name}' (model '${route.modelName}').`,
    },
    servers: [{ url: baseUrl.replace(/\/$/, "") }],
    components: {
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", description: "An API key: Bearer ks_…" },
        apiKey: { type: "apiKey", in: "header", name: "X-API-Key" },
      },
      schemas: componentSchemas(signature),
    },
    security,
    paths: {
      [`/api/v1/predict/${route.id}`]: {
        post: {
          operationId: "predict",
          summary: "Predict rows (KServe V1 instances or the original /predict body)",
          requestBody: {
            required: true,
            content: json(
              {
                type: "object",
                required: ["instances"],
                properties: { instances: v1Instances(inputs) },
              },
              v1Example(inputs),
            ),
          },
          responses: {
            "200": {
              description: `One prediction per row (output '${outputs[0]?.name ?? "first"}')`,
              content: json({
                type: "object",
                properties: { predictions: { type: "array" } },
                required: ["predictions"],
              }),
            },
            ...errors,
          },
        },
      },
      [`${base}/infer`]: {
        post: {
          operationId: "infer",
          summary:
            "Open Inference Protocol V2 inference (JSON; the binary tensor extension is accepted too)",
          requestBody: {
            required: true,
            content: {
              ...json(v2RequestSchema(signature), v2Example(inputs)),
              "application/octet-stream": {
                schema: {
                  type: "string",
                  format: "binary",
                  description:
                    "Binary tensor extension: the JSON request (inputs with parameters.binary_data_size) then the raw tensors; send Inference-Header-Content-Length",
                },
              },
            },
          },
          responses: {
            "200": {
              description: `Outputs: ${describeOutputs || "as the model defines"}`,
              content: {
                ...json(v2ResponseSchema(signature)),
                "application/octet-stream": { schema: { type: "string", format: "binary" } },
              },
            },
            ...errors,
          },
        },
      },
      [base]: {
        get: {
          operationId: "modelMetadata",
          summary: "Model metadata: inputs and outputs with datatypes and shapes",
          responses: {
            "200": { description: "Metadata", content: json(ref("metadata_model_response")) },
            ...errors,
          },
        },
      },
      [`${base}/ready`]: {
        get: {
          operationId: "modelReady",
          summary: "200 when the model is ready",
          responses: { "200": { description: "Ready" }, ...errors },
        },
      },
    },
  };
}
