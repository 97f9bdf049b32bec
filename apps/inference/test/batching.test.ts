import ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TInferenceServer } from "../src/index";
import {
  FIXTURES,
  type TV2Output,
  postJson,
  postRaw,
  readSamples,
  request,
  startFixture,
} from "./helpers";

const samples = readSamples("mlp-64");

/** Deterministic pseudo-random rows so every request is different. */
function makeRows(seed: number, count: number): number[][] {
  let state = seed * 2654435761;
  const next = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return Math.fround((state / 2147483648) * 6 - 3);
  };
  return Array.from({ length: count }, () => Array.from({ length: 64 }, next));
}

function readMetric(text: string, name: string): number {
  const line = text.split("\n").find((l) => l.startsWith(name));
  return line ? Number(line.split(" ").pop()) : NaN;
}

// hundreds of real HTTP requests and ONNX runs: seconds on a busy 2-core machine
describe("dynamic batching", { timeout: 30_000 }, () => {
  let server: TInferenceServer;
  let session: ort.InferenceSession;
  beforeAll(async () => {
    server = await startFixture("mlp-64", { maxBatchSize: 32, maxQueueDelayMs: 2 });
    session = await ort.InferenceSession.create(`${FIXTURES}mlp-64.onnx`);
  });
  afterAll(async () => {
    await server.close();
    await session.release();
  });

  it("200 concurrent requests of 1–8 rows each get exactly their own rows", async () => {
    const requests = Array.from({ length: 200 }, (_, i) => makeRows(i + 1, 1 + (i % 8)));
    const replies = await Promise.all(
      requests.map((rows, i) =>
        i % 2 === 0
          ? postJson(`${server.url}/v2/models/mlp-64/infer`, {
              id: `r${i}`,
              inputs: [{ name: "input", shape: [rows.length, 64], datatype: "FP32", data: rows }],
            })
          : postJson(`${server.url}/predict`, { instances: rows }),
      ),
    );
    for (let i = 0; i < requests.length; i++) {
      const rows = requests[i]!;
      const alone = await session.run({
        input: new ort.Tensor("float32", Float32Array.from(rows.flat()), [rows.length, 64]),
      });
      const expected = Array.from(alone.probabilities!.data as Float32Array);
      const reply = replies[i]!;
      expect(reply.status).toBe(200);
      if (i % 2 === 0) {
        const body = reply.body as { id: string; outputs: TV2Output[] };
        expect(body.id).toBe(`r${i}`);
        expect(body.outputs[0]!.shape).toEqual([rows.length, 10]);
        expect(body.outputs[0]!.data).toEqual(expected);
        expect(body.outputs[1]!.data).toEqual(
          Array.from(alone.label!.data as BigInt64Array, Number),
        );
      } else {
        const predictions = (reply.body as { predictions: number[][] }).predictions;
        expect(predictions).toHaveLength(rows.length);
        expect(predictions.flat()).toEqual(expected);
      }
    }
    const metrics = (await request(`${server.url}/metrics`)).text;
    const runs = readMetric(metrics, "batch_size_count");
    const rowsRun = readMetric(metrics, "batch_size_sum");
    expect(rowsRun).toBeGreaterThanOrEqual(requests.reduce((n, r) => n + r.length, 0));
    // Fewer runs than requests proves requests were merged.
    expect(runs).toBeLessThan(200);
  });

  it("requests with different output filters run separately and keep their filter", async () => {
    const rows = samples.inputs.slice(0, 2);
    const input = { name: "input", shape: [2, 64], datatype: "FP32", data: rows };
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        postJson(`${server.url}/v2/models/mlp-64/infer`, {
          inputs: [input],
          ...(i % 2 === 0 ? { outputs: [{ name: "label" }] } : {}),
        }),
      ),
    );
    replies.forEach((reply, i) => {
      const outputs = (reply.body as { outputs: TV2Output[] }).outputs;
      expect(outputs.map((o) => o.name)).toEqual(
        i % 2 === 0 ? ["label"] : ["probabilities", "label"],
      );
      expect(outputs.find((o) => o.name === "label")!.data).toEqual(samples.predict.slice(0, 2));
    });
  });
});

describe("queue bound", { timeout: 30_000 }, () => {
  let server: TInferenceServer;
  beforeAll(async () => {
    server = await startFixture("mlp-wide", { batching: "off", maxQueueSize: 2 });
  });
  afterAll(() => server.close());

  it("answers 503 with Retry-After when the queue is full, and recovers", async () => {
    const rows = readSamples("mlp-wide").inputs;
    const body = JSON.stringify({ instances: rows });
    const replies = await Promise.all(
      Array.from({ length: 64 }, () =>
        fetch(`${server.url}/predict`, { method: "POST", body }).then(async (res) => ({
          status: res.status,
          retryAfter: res.headers.get("retry-after"),
          body: (await res.json()) as { error?: string },
        })),
      ),
    );
    const rejected = replies.filter((r) => r.status === 503);
    expect(rejected.length).toBeGreaterThan(0);
    expect(rejected[0]!.retryAfter).toBe("1");
    expect(rejected[0]!.body.error).toContain("queue is full");
    expect(replies.every((r) => r.status === 200 || r.status === 503)).toBe(true);
    expect((await postJson(`${server.url}/predict`, { instances: rows })).status).toBe(200);
  });
});

describe("queue byte budget", { timeout: 30_000 }, () => {
  let server: TInferenceServer;
  const rows = readSamples("mlp-wide").inputs;
  // 200 rows of 256 numbers: about 1 MB of JSON per request
  const body = Buffer.from(
    JSON.stringify({ instances: Array.from({ length: 25 }, () => rows).flat() }),
  );
  beforeAll(async () => {
    server = await startFixture("mlp-wide", {
      batching: "off",
      maxQueueSize: 1000,
      maxQueueBytes: Math.round(2.5 * body.length),
    });
  });
  afterAll(() => server.close());

  it("answers 503 with Retry-After once the queued bodies exceed the byte budget, and recovers", async () => {
    const replies = await Promise.all(
      Array.from({ length: 16 }, () =>
        postRaw(`${server.url}/predict`, body).then((res) => ({
          status: res.status,
          retryAfter: res.headers["retry-after"],
          body: JSON.parse(res.text) as { error?: string },
        })),
      ),
    );
    const rejected = replies.filter((r) => r.status === 503);
    // far below the request-count bound: only the byte budget can refuse these
    expect(rejected.length).toBeGreaterThan(0);
    expect(rejected[0]!.retryAfter).toBe("1");
    expect(rejected[0]!.body.error).toMatch(
      /queue is full \(\d+ bytes of requests waiting, limit \d+\)/,
    );
    expect(replies.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(2);
    expect(replies.every((r) => r.status === 200 || r.status === 503)).toBe(true);
    expect((await postRaw(`${server.url}/predict`, body)).status).toBe(200);
  }, 30_000);

  it("admits one request larger than the whole budget into an empty queue", async () => {
    const small = await startFixture("mlp-wide", { batching: "off", maxQueueBytes: 1024 });
    try {
      expect(body.length).toBeGreaterThan(1024);
      expect((await postRaw(`${small.url}/predict`, body)).status).toBe(200);
    } finally {
      await small.close();
    }
  });
});
