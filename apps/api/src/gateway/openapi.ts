import type { TRoute } from "./directory";

// One OpenAPI 3 document per deployment, generated from its signature, so clients and the dashboard's
// try-it form share one contract for its prediction endpoints.

type TSchema = Record<string, unknown>;

const jsonNumberTypes = new Set(["FP16", "FP32", "FP64"]);

function elementSchema(datatype: string): TSchema {
  if (datatype === "BOOL") return { type: "boolean" };
  if (datatype === "BYTES") return { type: "string" };
  if (jsonNumberTypes.has(datatype)) return { type: "number" };
  return { type: "integer" };
}

/** Nested arrays for a shape like [-1, 4]: the first (batch) dimension free, fixed ones exact. */
function rowsSchema(datatype: string, shape: number[]): TSchema {
  let schema = elementSchema(datatype);
  for (const dim of [...shape].reverse().slice(0, -1)) {
    schema =
      dim > 0
        ? { type: "array", items: schema, minItems: dim, maxItems: dim }
        : { type: "array", items: schema };
  }
  return { type: "array", items: schema, minItems: 1 };
}

function exampleRow(shape: number[]): unknown {
  const inner = shape.slice(1);
  const build = (dims: number[]): unknown =>
    dims.length === 0
      ? 0.5
      : Array.from({ length: dims[0] && dims[0] > 0 ? dims[0] : 1 }, () => build(dims.slice(1)));
  return build(inner);
}

function errorResponse(description: string): TSchema {
  return {
    description,
    content: {
      "application/json": {
        schema: { type: "object", properties: { error: {} }, required: ["error"] },
      },
    },
  };
}

export function buildOpenApi(route: TRoute, baseUrl: string): TSchema {
  const inputs = route.signature?.inputs ?? [];
  const outputs = route.signature?.outputs ?? [];
  const first = inputs[0];
  const v1Example = first ? { instances: [exampleRow(first.shape)] } : { instances: [] };
  const v2Example = {
    inputs: inputs.map((input) => {
      const shape = input.shape.map((dim) => (dim > 0 ? dim : 1));
      const count = shape.reduce((a, b) => a * b, 1);
      return {
        name: input.name,
        datatype: input.datatype,
        shape,
        data: Array.from({ length: count }, () => 0.5),
      };
    }),
  };
  const tensorInput = {
    type: "object",
    required: ["name", "shape", "datatype", "data"],
    properties: {
      name: { type: "string", enum: inputs.map((i) => i.name) },
      shape: { type: "array", items: { type: "integer", minimum: 0 } },
      datatype: { type: "string", enum: [...new Set(inputs.map((i) => i.datatype))] },
      data: { type: "array" },
      parameters: { type: "object" },
    },
  };
  const errors = {
    "400": errorResponse("The model rejected the request (the message names the input)"),
    "401": errorResponse("No, a wrong or a revoked API key"),
    "404": errorResponse("No such deployment"),
    "429": errorResponse("Rate limit exceeded (see Retry-After)"),
    "503": errorResponse("No replica ready (see Retry-After)"),
  };
  const security = route.isPublic
    ? [{}, { bearer: [] }, { apiKey: [] }]
    : [{ bearer: [] }, { apiKey: [] }];
  const base = `/api/v1/deployments/${route.id}/v2/models/${route.modelName}`;
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
    },
    security,
    paths: {
      [`/api/v1/predict/${route.id}`]: {
        post: {
          operationId: "predict",
          summary: "Predict rows (KServe V1 instances or the original /predict body)",
          requestBody: {
            required: true,
            content: {
              "application/json": {
                schema: {
                  type: "object",
                  required: ["instances"],
                  properties: {
                    instances: first ? rowsSchema(first.datatype, first.shape) : { type: "array" },
                  },
                },
                example: v1Example,
              },
            },
          },
          responses: {
            "200": {
              description: `One prediction per row (output '${outputs[0]?.name ?? "first"}')`,
              content: {
                "application/json": {
                  schema: {
                    type: "object",
                    properties: { predictions: { type: "array" } },
                    required: ["predictions"],
                  },
                },
              },
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
              "application/json": {
                schema: {
                  type: "object",
                  required: ["inputs"],
                  properties: {
                    id: { type: "string" },
                    inputs: {
                      type: "array",
                      items: tensorInput,
                      minItems: inputs.length,
                      maxItems: inputs.length,
                    },
                    outputs: {
                      type: "array",
                      items: {
                        type: "object",
                        properties: { name: { type: "string", enum: outputs.map((o) => o.name) } },
                      },
                    },
                  },
                },
                example: v2Example,
              },
              "application/octet-stream": { schema: { type: "string", format: "binary" } },
            },
          },
          responses: {
            "200": {
              description:
                "Outputs: " +
                outputs.map((o) => `${o.name} ${o.datatype}[${o.shape.join(",")}]`).join(", "),
              content: {
                "application/json": {
                  schema: { type: "object", properties: { outputs: { type: "array" } } },
                },
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
          responses: { "200": { description: "Metadata" }, ...errors },
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
