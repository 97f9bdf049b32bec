import ort from "onnxruntime-node";
import type { TNumericArray, TTensorData } from "../model/datatypes";
import type { TTensorSpec } from "../model/signature";
import type { TInferRequest } from "../protocol/infer-request";

export type TOutputTensor = { spec: TTensorSpec; shape: number[]; data: TTensorData };

export type TBatcherOptions = {
  isBatching: boolean;
  maxBatchSize: number;
  maxQueueDelayMs: number;
  maxQueueSize: number;
  /** body bytes the queued requests may hold together */
  maxQueueBytes: number;
};

/** Hooks for metrics and statistics; times in milliseconds. */
export type TBatchObserver = {
  onRun: (rows: number, requests: number, runMs: number, queueMs: readonly number[]) => void;
  onRunFailed: (requests: number, runMs: number) => void;
};

export class QueueFullError extends Error {
  override name = "QueueFullError";
}

export class InferenceError extends Error {
  override name = "InferenceError";
}

export class ShuttingDownError extends Error {
  override name = "ShuttingDownError";
}

type TJob = {
  request: TInferRequest;
  bytes: number;
  key: string;
  enqueuedAt: number;
  resolve: (outputs: TOutputTensor[]) => void;
  reject: (error: Error) => void;
};

/** Requests merge only when everything but the batch dimension and the rows agree. */
function makeBatchKey(request: TInferRequest): string {
  let key = "";
  for (const input of request.inputs) {
    for (let i = 1; i < input.shape.length; i++) key += input.shape[i] + "x";
    key += "|";
  }
  for (const output of request.outputs) key += output.spec.index + ",";
  return key;
}

function concatData(parts: readonly TTensorData[], total: number): TTensorData {
  const first = parts[0]!;
  if (parts.length === 1) return first;
  if (Array.isArray(first)) return (parts as string[][]).flat();
  const Ctor = (first as TNumericArray).constructor as new (length: number) => TNumericArray;
  const out = new Ctor(total);
  let offset = 0;
  for (const part of parts as TNumericArray[]) {
    (out as Float32Array).set(part as Float32Array, offset);
    offset += part.length;
  }
  return out;
}

function sliceRows(data: TTensorData, start: number, end: number): TTensorData {
  return Array.isArray(data) ? data.slice(start, end) : (data as Float32Array).subarray(start, end);
}

/**
 * Queues requests and runs them on the session, merging compatible ones along dim 0.
 * ONNX Runtime's run() occupies the event loop, so requests that arrive during a run are
 * read right after it and form the next batch; dispatch happens once the pending I/O is read.
 */
export class Batcher {
  private readonly queue: TJob[] = [];
  private isRunning = false;
  private isScheduled = false;
  private timer: NodeJS.Timeout | undefined;
  private lastBatchRows = 1;
  private queuedBytes = 0;
  private isClosed = false;
  /** the batch on the session right now, if any */
  private running: Promise<void> | undefined;
  private readonly outputNames: string[];

  constructor(
    private readonly session: ort.InferenceSession,
    private readonly options: TBatcherOptions,
    private readonly observer: TBatchObserver,
  ) {
    this.outputNames = session.outputNames.slice();
  }

  get queueLength(): number {
    return this.queue.length;
  }

  /**
   * Throws when a request with a body of this many bytes cannot be queued now, so a full queue
   * costs no parsing. One request always fits an empty queue, whatever its size.
   */
  admit(bytes: number): void {
    if (this.isClosed) throw new ShuttingDownError("the server is shutting down");
    const { maxQueueSize, maxQueueBytes } = this.options;
    if (this.queue.length >= maxQueueSize) {
      throw new QueueFullError(`the inference queue is full (${maxQueueSize} requests)`);
    }
    if (this.queuedBytes > 0 && this.queuedBytes + bytes > maxQueueBytes) {
      throw new QueueFullError(
        `the inference queue is full (${this.queuedBytes} bytes of requests waiting, limit ${maxQueueBytes})`,
      );
    }
  }

  /** Queues a parsed request whose body had `bytes` bytes. */
  submit(request: TInferRequest, bytes: number): Promise<TOutputTensor[]> {
    try {
      this.admit(bytes);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    this.queuedBytes += bytes;
    return new Promise((resolve, reject) => {
      this.queue.push({
        request,
        bytes,
        key: this.options.isBatching ? makeBatchKey(request) : "",
        enqueuedAt: performance.now(),
        resolve,
        reject,
      });
      this.schedule();
    });
  }

  /**
   * Refuses new requests, fails the ones still queued (their clients are gone once the server
   * closed) and resolves when the batch on the session has finished, so the session can be released.
   */
  async close(): Promise<{ dropped: number; wasRunning: boolean }> {
    this.isClosed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    const dropped = this.queue.splice(0);
    this.queuedBytes = 0;
    const failure = new ShuttingDownError("the server is shutting down");
    for (const job of dropped) job.reject(failure);
    const running = this.running;
    await running;
    return { dropped: dropped.length, wasRunning: running !== undefined };
  }

  private schedule(): void {
    if (this.isRunning || this.isScheduled) return;
    if (this.timer !== undefined) {
      if (this.queue.length < this.lastBatchRows) return;
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.isScheduled = true;
    setImmediate(this.dispatch);
  }

  private readonly dispatch = (isForced = false): void => {
    this.isScheduled = false;
    this.timer = undefined;
    if (this.isRunning || this.isClosed || this.queue.length === 0) return;
    const head = this.queue[0]!;
    const picked: TJob[] = [head];
    let rows = head.request.rows;
    if (this.options.isBatching) {
      const max = this.options.maxBatchSize;
      for (let i = 1; i < this.queue.length && rows < max; i++) {
        const job = this.queue[i]!;
        if (job.key === head.key && rows + job.request.rows <= max) {
          picked.push(job);
          rows += job.request.rows;
        }
      }
      // Under load, wait a little for the rest of the crowd instead of running a thin batch.
      const waited = performance.now() - head.enqueuedAt;
      const target = Math.min(this.lastBatchRows, max);
      if (!isForced && rows < target && waited < this.options.maxQueueDelayMs) {
        const delay = this.options.maxQueueDelayMs - waited;
        this.timer = setTimeout(() => this.dispatch(true), delay);
        return;
      }
    }
    if (picked.length === this.queue.length) this.queue.length = 0;
    else if (picked.length === 1) this.queue.shift();
    else {
      const taken = new Set(picked);
      const rest = this.queue.filter((job) => !taken.has(job));
      this.queue.length = 0;
      this.queue.push(...rest);
    }
    for (const job of picked) this.queuedBytes -= job.bytes;
    this.lastBatchRows = rows;
    this.isRunning = true;
    this.running = this.run(picked, rows)
      .catch((error: unknown) => {
        // building feeds or splitting outputs failed: answer every job rather than leave it hanging
        const failure = new InferenceError(`inference failed: ${(error as Error).message}`);
        for (const job of picked) job.reject(failure);
      })
      .finally(() => {
        this.isRunning = false;
        this.running = undefined;
        if (this.queue.length > 0) this.schedule();
      });
  };

  private async run(jobs: TJob[], rows: number): Promise<void> {
    const first = jobs[0]!.request;
    const startedAt = performance.now();
    const queueMs = jobs.map((job) => startedAt - job.enqueuedAt);
    const feeds: Record<string, ort.Tensor> = {};
    for (let i = 0; i < first.inputs.length; i++) {
      const input = first.inputs[i]!;
      const data = concatData(
        jobs.map((job) => job.request.inputs[i]!.data),
        jobs.length === 1 ? input.data.length : rows * (input.data.length / first.rows),
      );
      const dims = jobs.length === 1 ? input.shape : [rows, ...input.shape.slice(1)];
      feeds[input.spec.name] = new ort.Tensor(
        input.spec.info.ortType as "float32",
        data as Float32Array,
        dims,
      );
    }
    const fetches =
      first.outputs.length === this.outputNames.length
        ? this.outputNames
        : first.outputs.map((o) => o.spec.name);
    let results: ort.InferenceSession.ReturnType;
    try {
      results = await this.session.run(feeds, fetches);
    } catch (error) {
      this.observer.onRunFailed(jobs.length, performance.now() - startedAt);
      const failure = new InferenceError(`inference failed: ${(error as Error).message}`);
      for (const job of jobs) job.reject(failure);
      return;
    }
    this.observer.onRun(rows, jobs.length, performance.now() - startedAt, queueMs);
    if (jobs.length === 1) {
      jobs[0]!.resolve(this.collect(first, results));
      return;
    }
    this.split(jobs, rows, results);
  }

  private collect(request: TInferRequest, results: ort.InferenceSession.ReturnType) {
    return request.outputs.map((choice) => {
      const tensor = results[choice.spec.name]!;
      return { spec: choice.spec, shape: tensor.dims.slice(), data: tensor.data as TTensorData };
    });
  }

  private split(jobs: TJob[], rows: number, results: ort.InferenceSession.ReturnType): void {
    const outputs = jobs[0]!.request.outputs;
    for (const choice of outputs) {
      const dims = results[choice.spec.name]!.dims;
      if (dims[0] !== rows) {
        const failure = new InferenceError(
          `output '${choice.spec.name}' has ${dims[0]} rows for a batch of ${rows}; this model cannot be batched (set KUBESERVE_BATCHING=off)`,
        );
        for (const job of jobs) job.reject(failure);
        return;
      }
    }
    let offset = 0;
    for (const job of jobs) {
      const jobRows = job.request.rows;
      job.resolve(
        outputs.map((choice) => {
          const tensor = results[choice.spec.name]!;
          const perRow = tensor.dims.length > 1 ? tensor.size / rows : 1;
          const data = tensor.data as TTensorData;
          return {
            spec: choice.spec,
            shape: [jobRows, ...tensor.dims.slice(1)],
            data: sliceRows(data, offset * perRow, (offset + jobRows) * perRow),
          };
        }),
      );
      offset += jobRows;
    }
  }
}
