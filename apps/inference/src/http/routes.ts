import type { TProtocol } from "../metrics/metrics";
import { HttpError } from "../protocol/errors";
import { JSON_TYPE } from "./respond";
import type { TServingState } from "./serving-state";

type TGetReply = { status: number; body: string; type: string };

export type TRoute =
  | { kind: "infer"; infer: "v2" | "v1" | "predict" }
  | { kind: "get"; protocol: TProtocol; get: () => TGetReply }
  | { kind: "metrics" }
  | { kind: "error"; protocol: TProtocol; error: HttpError };

const ok = (body: unknown): TGetReply => ({
  status: 200,
  body: JSON.stringify(body),
  type: JSON_TYPE,
});

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

const probePaths = new Set(["/v2/health/live", "/v2/health/ready", "/health"]);

export function protocolOf(path: string): TProtocol {
  if (probePaths.has(path)) return "probe";
  if (path.startsWith("/v2")) return "v2";
  if (path.startsWith("/v1")) return "v1";
  if (path === "/predict" || path === "/health") return "predict";
  return "other";
}

/** The server hosts one model, so every valid path is known up front and matched exactly. */
export function createRoutes(state: TServingState, serverJson: string) {
  const { name, version } = state.model;
  const notReady = (): TGetReply => ({
    status: 503,
    body: JSON.stringify({ error: `model ${name} is not ready` }),
    type: JSON_TYPE,
  });
  const whenReady = (build: () => TGetReply) => () => (state.loaded ? build() : notReady());
  const isReady = () => state.loaded !== undefined && !state.isDraining;
  const readiness = () => (isReady() ? ok({ name, ready: true }) : notReady());

  const get = new Map<string, { protocol: TProtocol; get: () => TGetReply }>();
  const addGet = (path: string, build: () => TGetReply) =>
    get.set(path, { protocol: protocolOf(path), get: build });

  addGet("/v2/health/live", () => ok({ live: true }));
  addGet("/v2/health/ready", () => (isReady() ? ok({ ready: true }) : notReady()));
  addGet("/v2", () => ({ status: 200, body: serverJson, type: JSON_TYPE }));
  addGet("/v2/", () => ({ status: 200, body: serverJson, type: JSON_TYPE }));
  addGet("/v2/models", () =>
    ok({ models: [{ name, version, state: isReady() ? "READY" : "UNAVAILABLE" }] }),
  );
  for (const base of [`/v2/models/${name}`, `/v2/models/${name}/versions/${version}`]) {
    addGet(
      base,
      whenReady(() => ({ status: 200, body: state.loaded!.metadataJson, type: JSON_TYPE })),
    );
    addGet(`${base}/ready`, readiness);
    addGet(
      `${base}/config`,
      whenReady(() => ({ status: 200, body: state.loaded!.tritonConfigJson, type: JSON_TYPE })),
    );
    addGet(`${base}/stats`, () => ({
      status: 200,
      body: state.stats.toJson(state.model),
      type: JSON_TYPE,
    }));
  }
  addGet("/v1/models", () => ok({ models: [name] }));
  addGet(`/v1/models/${name}`, () => ok({ name, ready: isReady() }));
  addGet("/health", () => (isReady() ? ok({ status: "ok" }) : notReady()));

  const post = new Map<string, "v2" | "v1" | "predict">([
    [`/v2/models/${name}/infer`, "v2"],
    [`/v2/models/${name}/versions/${version}/infer`, "v2"],
    [`/v1/models/${name}:predict`, "v1"],
    ["/predict", "predict"],
  ]);

  const explainMissing = (method: string, path: string): TRoute => {
    const protocol = protocolOf(path);
    const v2 = /^\/v2\/models\/([^/]+)(?:\/versions\/([^/]+))?(\/.*)?$/.exec(path);
    const v1 = /^\/v1\/models\/([^/:]+)/.exec(path);
    const model = decodeSegment(v2?.[1] ?? v1?.[1] ?? "");
    if (model && model !== name) {
      return {
        kind: "error",
        protocol,
        error: new HttpError(404, `unknown model '${model}'; this server serves '${name}'`),
      };
    }
    if (v2?.[2] !== undefined && v2[2] !== version) {
      return {
        kind: "error",
        protocol,
        error: new HttpError(
          404,
          `unknown version '${v2[2]}' of model '${name}'; available: ${version}`,
        ),
      };
    }
    const isKnownPath = get.has(path) || post.has(path) || path === "/metrics";
    if (isKnownPath) {
      return {
        kind: "error",
        protocol,
        error: new HttpError(405, `method ${method} is not allowed on ${path}`),
      };
    }
    return { kind: "error", protocol, error: new HttpError(404, `no route for ${method} ${path}`) };
  };

  return {
    find(method: string, path: string): TRoute {
      if (method === "POST") {
        const infer = post.get(path);
        if (infer) return { kind: "infer", infer };
      } else if (method === "GET" || method === "HEAD") {
        const route = get.get(path);
        if (route) return { kind: "get", protocol: route.protocol, get: route.get };
        if (path === "/metrics") return { kind: "metrics" };
      }
      return explainMissing(method, path);
    },
  };
}
