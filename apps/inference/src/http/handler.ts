import type { IncomingMessage, ServerResponse } from "node:http";
import type { CounterChild, HistogramChild } from "../metrics/fast-metrics";
import type { TProtocol } from "../metrics/metrics";
import { HttpError } from "../protocol/errors";
import type { TInferRequest } from "../protocol/infer-request";
import { describeServer } from "../protocol/metadata";
import { buildV1Response, parseV1Request } from "../protocol/v1";
import { parseV2Request } from "../protocol/v2-request";
import { buildV2Response } from "../protocol/v2-response";
import type { TOutputTensor } from "../runtime/batcher";
import { createTokenCheck, UNAUTHORIZED_BODY } from "./auth";
import { readBody } from "./read-body";
import { BINARY_TYPE, JSON_TYPE, describeError, send, sendError } from "./respond";
import { createRoutes, protocolOf } from "./routes";
import type { TLoadedServing, TServingState } from "./serving-state";

type TInferKind = "v2" | "v1" | "predict";

type TReply = {
  status: number;
  body: string | Buffer;
  type: string;
  headers?: Record<string, string>;
};

type TProtocolMeters = {
  latency: HistogramChild;
  predictions: CounterChild;
  codes: Map<number, CounterChild>;
};

const PROTOCOLS: TProtocol[] = ["v2", "v1", "predict", "probe", "other"];

function parseInfer(kind: TInferKind, loaded: TLoadedServing, req: IncomingMessage, body: Buffer) {
  if (kind !== "v2") {
    return parseV1Request(loaded.scanner, loaded.signature, body, loaded.v1Output);
  }
  const header = req.headers["inference-header-content-length"];
  let headerLength: number | undefined;
  if (header !== undefined) {
    headerLength = Number(header);
    if (!Number.isInteger(headerLength) || headerLength < 0) {
      throw new HttpError(400, "Inference-Header-Content-Length must be a non-negative integer");
    }
  }
  return parseV2Request(loaded.scanner, loaded.signature, body, headerLength);
}

function buildReply(
  kind: TInferKind,
  loaded: TLoadedServing,
  request: TInferRequest,
  outputs: TOutputTensor[],
): TReply {
  if (kind !== "v2") {
    return { status: 200, body: buildV1Response(outputs[0]!), type: JSON_TYPE };
  }
  const response = buildV2Response(loaded.v2Prefix, request.id, outputs, request.outputs);
  if (response.headerLength === undefined) {
    return { status: 200, body: response.body, type: JSON_TYPE };
  }
  return {
    status: 200,
    body: response.body,
    type: BINARY_TYPE,
    headers: { "inference-header-content-length": String(response.headerLength) },
  };
}

export function createRequestHandler(state: TServingState) {
  const { metrics } = state;
  const inFlight = metrics.inFlight.child();
  const meters = new Map<TProtocol, TProtocolMeters>(
    PROTOCOLS.map((protocol) => [
      protocol,
      {
        latency: metrics.latency.child({ protocol }),
        predictions: metrics.predictions.child({ protocol }),
        codes: new Map(),
      },
    ]),
  );
  const countRequest = (protocol: TProtocol, status: number) => {
    const codes = meters.get(protocol)!.codes;
    let counter = codes.get(status);
    if (!counter) {
      counter = metrics.requests.child({ protocol, code: String(status) });
      codes.set(status, counter);
    }
    counter.inc();
  };

  const reply = (res: ServerResponse, protocol: TProtocol, r: TReply) => {
    countRequest(protocol, r.status);
    send(res, r.status, r.body, r.type, state.isDraining, r.headers);
  };

  const fail = (res: ServerResponse, protocol: TProtocol, error: unknown) => {
    const described = describeError(error);
    if (described.status >= 500 && described.status !== 503) {
      state.logger.error({ err: error }, "request failed");
    }
    countRequest(protocol, described.status);
    sendError(res, described, state.isDraining);
  };

  const infer = (req: IncomingMessage, res: ServerResponse, kind: TInferKind) => {
    const startedAt = performance.now();
    const meter = meters.get(kind)!;
    inFlight.inc();
    let isDone = false;
    const finish = (status: number, rows: number) => {
      if (isDone) return;
      isDone = true;
      inFlight.inc(-1);
      const ms = performance.now() - startedAt;
      meter.latency.observe(ms);
      if (status === 200) meter.predictions.inc(rows);
      state.stats.recordRequest(status === 200, ms, rows);
    };
    res.once("close", () => finish(0, 0));
    readBody(req, state.maxBodyBytes, (bodyError, body) => {
      const loaded = state.loaded;
      if (bodyError || !loaded) {
        const error = bodyError ?? new HttpError(503, `model ${state.model.name} is not ready`);
        fail(res, kind, error);
        finish(describeError(error).status, 0);
        return;
      }
      let request: TInferRequest;
      try {
        loaded.batcher.admit(body.length);
        request = parseInfer(kind, loaded, req, body);
      } catch (error) {
        fail(res, kind, error);
        finish(describeError(error).status, 0);
        return;
      }
      loaded.batcher.submit(request, body.length).then(
        (outputs) => {
          let r: TReply;
          try {
            r = buildReply(kind, loaded, request, outputs);
          } catch (error) {
            fail(res, kind, error);
            finish(describeError(error).status, 0);
            return;
          }
          reply(res, kind, r);
          finish(200, request.rows);
        },
        (error: unknown) => {
          fail(res, kind, error);
          finish(describeError(error).status, 0);
        },
      );
    });
  };

  const routes = createRoutes(state, describeServer());
  const isAuthorized = createTokenCheck(state.authToken);
  const isOpenPath = (path: string) =>
    state.isHealthPublic === true && (path === "/v2/health/live" || path === "/v2/health/ready");
  const deny = (res: ServerResponse, path: string) => {
    countRequest(protocolOf(path), 401);
    // connection: close, so node hangs up after the answer instead of reading the body to its end
    send(res, 401, UNAUTHORIZED_BODY, JSON_TYPE, true, {
      "www-authenticate": 'Bearer realm="kubeserve-inference"',
    });
  };

  return (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const path = q === -1 ? url : url.slice(0, q);
    if (isAuthorized !== undefined && !isAuthorized(req) && !isOpenPath(path)) {
      deny(res, path);
      return;
    }
    const route = routes.find(req.method ?? "GET", path);
    if (route.kind === "infer") {
      infer(req, res, route.infer);
      return;
    }
    if (route.kind === "error") {
      fail(res, route.protocol, route.error);
      return;
    }
    if (route.kind === "metrics") {
      Promise.all([state.renderMetrics(), state.metrics.loadRegistry()]).then(
        ([text, registry]) =>
          reply(res, "other", { status: 200, body: text, type: registry.contentType }),
        (error: unknown) => fail(res, "other", error),
      );
      return;
    }
    const r = route.get();
    reply(res, route.protocol, r);
  };
}
