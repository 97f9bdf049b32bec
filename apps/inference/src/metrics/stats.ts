import type { TModelIdentity } from "../protocol/metadata";

type TDuration = { count: number; ns: number };

const zero = (): TDuration => ({ count: 0, ns: 0 });
const add = (d: TDuration, ms: number, count = 1) => {
  d.count += count;
  d.ns += Math.round(ms * 1e6);
};

/** Cumulative counters in the shape of Triton's statistics extension (`/stats`). */
export class InferenceStats {
  private lastInference = 0;
  private inferenceCount = 0;
  private executionCount = 0;
  private readonly success = zero();
  private readonly fail = zero();
  private readonly queue = zero();
  private readonly computeInfer = zero();
  private readonly batches = new Map<number, TDuration>();

  recordRequest(isSuccess: boolean, ms: number, rows: number): void {
    add(isSuccess ? this.success : this.fail, ms);
    if (isSuccess) this.inferenceCount += rows;
    this.lastInference = Date.now();
  }

  recordRun(rows: number, runMs: number, queueMs: readonly number[]): void {
    this.executionCount += 1;
    add(this.computeInfer, runMs, queueMs.length);
    for (const ms of queueMs) add(this.queue, ms);
    let batch = this.batches.get(rows);
    if (!batch) {
      batch = zero();
      this.batches.set(rows, batch);
    }
    add(batch, runMs);
  }

  toJson(model: TModelIdentity): string {
    return JSON.stringify({
      model_stats: [
        {
          name: model.name,
          version: model.version,
          last_inference: this.lastInference,
          inference_count: this.inferenceCount,
          execution_count: this.executionCount,
          inference_stats: {
            success: this.success,
            fail: this.fail,
            queue: this.queue,
            compute_input: zero(),
            compute_infer: this.computeInfer,
            compute_output: zero(),
          },
          batch_stats: [...this.batches.entries()]
            .sort((a, b) => a[0] - b[0])
            .map(([size, d]) => ({ batch_size: size, compute_infer: d })),
        },
      ],
    });
  }
}
