import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TInferenceServer } from "../src/index";
import { postJson, readSamples, request, startFixture } from "./helpers";

const iris = readSamples("iris-logreg");
const row = iris.inputs[0]!;

/** Each case: path, raw body, expected status, and a fragment the error message must contain. */
const CASES: [string, string, string, number, string][] = [
  [
    "wrong input name",
    "/v2/models/iris/infer",
    JSON.stringify({ inputs: [{ name: "features", shape: [1, 4], datatype: "FP32", data: row }] }),
    400,
    "unknown input 'features'; the model's inputs are: input",
  ],
  [
    "wrong datatype",
    "/v2/models/iris/infer",
    JSON.stringify({ inputs: [{ name: "input", shape: [1, 4], datatype: "INT32", data: row }] }),
    400,
    "input 'input': expected datatype FP32, got INT32",
  ],
  [
    "unknown datatype",
    "/v2/models/iris/infer",
    JSON.stringify({ inputs: [{ name: "input", shape: [1, 4], datatype: "FLOAT", data: row }] }),
    400,
    "'datatype' must be one of",
  ],
  [
    "wrong shape (V2)",
    "/v2/models/iris/infer",
    JSON.stringify({
      inputs: [{ name: "input", shape: [1, 5], datatype: "FP32", data: [...row, 1] }],
    }),
    400,
    "input 'input': expected shape [-1,4] (-1 = any), got [1,5]",
  ],
  [
    "element count does not match shape",
    "/v2/models/iris/infer",
    JSON.stringify({ inputs: [{ name: "input", shape: [2, 4], datatype: "FP32", data: row }] }),
    400,
    "shape [2,4] needs 8 elements, data has 4",
  ],
  [
    "wrong width (/predict)",
    "/predict",
    JSON.stringify({ instances: [[1, 2, 3]] }),
    400,
    "input 'input': expected shape [-1,4] (-1 = any), got [1,3]",
  ],
  [
    "ragged rows",
    "/predict",
    JSON.stringify({ instances: [row, [1, 2, 3]] }),
    400,
    "rows have different lengths",
  ],
  [
    "ragged rows (V1)",
    "/v1/models/iris:predict",
    '{"instances": [[1,2,3,4],[1,2,[3],4]]}',
    400,
    "different lengths",
  ],
  ["NaN", "/predict", '{"instances": [[1, NaN, 3, 4]]}', 400, "finite numbers"],
  ["Infinity", "/predict", '{"instances": [[1, 2, -Infinity, 4]]}', 400, "finite numbers"],
  ["number overflowing FP32", "/predict", '{"instances": [[1, 2, 1e39, 4]]}', 400, "FP32 range"],
  [
    "number overflowing float64",
    "/predict",
    '{"instances": [[1, 2, 1e999, 4]]}',
    400,
    "finite numbers",
  ],
  [
    "strings for numbers",
    "/predict",
    '{"instances": [["5.1", "3.5", "1.4", "0.2"]]}',
    400,
    'must be a number (FP32), got the string "5.1"',
  ],
  [
    "null for a number",
    "/predict",
    '{"instances": [[1, null, 3, 4]]}',
    400,
    "must be a number (FP32), got null",
  ],
  ["empty instances", "/predict", '{"instances": []}', 400, "at least one row"],
  ["instances missing", "/predict", '{"rows": [[1,2,3,4]]}', 400, "needs 'instances'"],
  ["instances not an array", "/predict", '{"instances": 5}', 400, "must be an array of rows"],
  ["truncated JSON", "/predict", '{"instances": [[1, 2, 3', 400, "malformed JSON"],
  ["not JSON at all", "/v2/models/iris/infer", "hello", 400, "malformed JSON"],
  ["JSON that is not an object", "/v2/models/iris/infer", "[1,2]", 400, "must be a JSON object"],
  ["inputs missing", "/v2/models/iris/infer", "{}", 400, "'inputs' must be a non-empty array"],
  [
    "id not a string",
    "/v2/models/iris/infer",
    JSON.stringify({ id: 5, inputs: [] }),
    400,
    "'id' must be a string",
  ],
  ["unknown model (V2)", "/v2/models/resnet/infer", "{}", 404, "unknown model 'resnet'"],
  ["unknown model (V1)", "/v1/models/resnet:predict", "{}", 404, "unknown model 'resnet'"],
];

describe("bad input is a clear 4xx and the server keeps serving", () => {
  let server: TInferenceServer;
  beforeAll(async () => {
    server = await startFixture("iris-logreg", { name: "iris" });
  });
  afterAll(() => server.close());

  const expectStillServing = async () => {
    const ok = await postJson(`${server.url}/predict`, { instances: [row] });
    expect(ok.status).toBe(200);
  };

  it.each(CASES)("%s", async (_name, path, body, status, fragment) => {
    const reply = await request(`${server.url}${path}`, { body });
    expect(reply.status).toBe(status);
    expect((reply.body as { error: string }).error).toContain(fragment);
    await expectStillServing();
  });

  it("a 50 MB body is refused with 413 (limit 32 MB by default)", async () => {
    const big = Buffer.alloc(50 * 1024 * 1024, 0x20);
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${server.url}/predict`, { method: "POST" }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      // The server answers 413 and closes while we are still uploading: a reset of our write is expected.
      req.on("socket", (socket) => socket.on("error", () => undefined));
      req.setHeader("content-type", "application/json");
      req.setHeader("content-length", big.length);
      req.end(big);
    });
    expect(status).toBe(413);
    await expectStillServing();
  });

  it("a chunked body that grows past the limit is refused with 413", async () => {
    const small = await startFixture("iris-logreg", { name: "iris", maxBodyBytes: 4096 });
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpRequest(`${small.url}/predict`, { method: "POST" }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on("error", reject);
        req.on("socket", (socket) => socket.on("error", () => undefined));
        for (let i = 0; i < 4; i++) req.write(Buffer.alloc(2048, 0x20));
        req.end();
      });
      expect(status).toBe(413);
    } finally {
      await small.close();
    }
  });
});
