"""The raw ASGI application: replica token, exact routes, body limit, protocols, metrics."""

from __future__ import annotations

import hmac
import re
import time
from typing import Any, Awaitable, Callable
from urllib.parse import unquote

from .batcher import Batcher, InferenceError, QueueFullError, ShuttingDownError
from .jsonfast import dumps
from .metrics import CONTENT_TYPE, Metrics
from .model_runtime import LoadedModel
from .protocol import build_v1, build_v2, parse_v1, parse_v2
from .tensors import BadRequest

TSend = Callable[[dict[str, Any]], Awaitable[None]]
TReceive = Callable[[], Awaitable[dict[str, Any]]]
JSON = b"application/json"
BINARY = b"application/octet-stream"
SERVER_JSON = dumps({"name": "kubeserve-sklearn", "version": "0.1.0", "extensions": ["binary_tensor_data"]})
ALT_HEADER = b"x-kubeserve-token"
UNAUTHORIZED = dumps({"error": "missing or invalid replica token"}).encode()


def protocol_of(path: str) -> str:
    if path.startswith("/v2"):
        return "v2"
    if path.startswith("/v1"):
        return "v1"
    if path in ("/predict", "/health"):
        return "predict"
    return "other"


class State:
    """What the handlers share: the model once loaded, draining, the batcher."""

    def __init__(
        self,
        name: str,
        version: str,
        metrics: Metrics,
        auth_token: str | None,
        max_body_bytes: int,
        is_health_public: bool = False,
    ) -> None:
        self.name = name
        self.version = version
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes
        self.expected_auth = ("bearer " + auth_token).encode("latin-1") if auth_token else None
        # kubelet probes carry no token: only the two health paths open, as in apps/inference
        self.is_health_public = is_health_public
        self.model: LoadedModel | None = None
        self.batcher: Batcher | None = None
        self.metadata_json = b""
        self.v2_prefix = ""
        self.is_draining = False

    def set_loaded(self, model: LoadedModel, batcher: Batcher) -> None:
        spec = model.spec
        tensors = lambda items: [  # noqa: E731
            {"name": n, "datatype": d, "shape": s} for n, d, s in items
        ]
        self.metadata_json = dumps(
            {
                "name": self.name,
                "versions": [self.version],
                "platform": "sklearn",
                "inputs": tensors([("input", "FP64", [-1, spec.n_features])]),
                "outputs": tensors(
                    [(o.name, o.datatype, [-1] if o.width is None else [-1, o.width]) for o in spec.outputs]
                ),
            }
        ).encode()
        self.v2_prefix = '{"model_name":' + dumps(self.name) + ',"model_version":' + dumps(self.version)
        self.batcher = batcher
        self.model = model

    @property
    def is_ready(self) -> bool:
        return self.model is not None and not self.is_draining


def create_app(state: State) -> Callable[[dict[str, Any], TReceive, TSend], Awaitable[None]]:
    name, version = state.name, state.version
    metrics = state.metrics
    infer_routes = {
        f"/v2/models/{name}/infer": "v2",
        f"/v2/models/{name}/versions/{version}/infer": "v2",
        f"/v1/models/{name}:predict": "v1",
        "/predict": "predict",
    }

    def not_ready() -> tuple[int, bytes]:
        return 503, dumps({"error": f"model {name} is not ready"}).encode()

    def ok(value: Any) -> tuple[int, bytes]:
        return 200, dumps(value).encode()

    def readiness() -> tuple[int, bytes]:
        return ok({"name": name, "ready": True}) if state.is_ready else not_ready()

    def metadata() -> tuple[int, bytes]:
        return (200, state.metadata_json) if state.model else not_ready()

    gets: dict[str, Callable[[], tuple[int, bytes]]] = {
        "/v2/health/live": lambda: ok({"live": True}),
        "/v2/health/ready": lambda: ok({"ready": True}) if state.is_ready else not_ready(),
        "/v2": lambda: (200, SERVER_JSON.encode()),
        "/v2/": lambda: (200, SERVER_JSON.encode()),
        "/v2/models": lambda: ok({"models": [{"name": name, "version": version, "state": "READY" if state.is_ready else "UNAVAILABLE"}]}),
        "/v1/models": lambda: ok({"models": [name]}),
        f"/v1/models/{name}": lambda: ok({"name": name, "ready": state.is_ready}),
        "/health": lambda: ok({"status": "ok"}) if state.is_ready else not_ready(),
    }
    for base in (f"/v2/models/{name}", f"/v2/models/{name}/versions/{version}"):
        gets[base] = metadata
        gets[f"{base}/ready"] = readiness

    async def send_reply(send: TSend, protocol: str, status: int, body: bytes, content_type: bytes = JSON, extra: list[tuple[bytes, bytes]] | None = None, close: bool = False) -> None:
        metrics.count_request(protocol, status)
        headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
        if close or status == 413 or state.is_draining:
            headers.append((b"connection", b"close"))
        if extra:
            headers.extend(extra)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def send_error(send: TSend, protocol: str, error: Exception) -> int:
        status, message, extra = describe_error(error)
        await send_reply(send, protocol, status, dumps({"error": message}).encode(), JSON, extra)
        return status

    def explain_missing(method: str, path: str) -> BadRequest:
        v2 = re.match(r"^/v2/models/([^/]+)(?:/versions/([^/]+))?(/.*)?$", path)
        v1 = re.match(r"^/v1/models/([^/:]+)", path)
        model = unquote((v2 and v2.group(1)) or (v1 and v1.group(1)) or "")
        if model and model != name:
            return BadRequest(f"unknown model '{model}'; this server serves '{name}'", 404)
        if v2 and v2.group(2) is not None and v2.group(2) != version:
            return BadRequest(f"unknown version '{v2.group(2)}' of model '{name}'; available: {version}", 404)
        if path in gets or path in infer_routes or path == "/metrics":
            return BadRequest(f"method {method} is not allowed on {path}", 405)
        return BadRequest(f"no route for {method} {path}", 404)

    async def read_body(scope: dict[str, Any], receive: TReceive) -> bytes:
        limit = state.max_body_bytes
        for key, value in scope["headers"]:
            if key == b"content-length" and value.isdigit() and int(value) > limit:
                raise BadRequest(f"the request body is larger than the limit of {limit} bytes", 413)
        message = await receive()
        body = message.get("body", b"")
        if not message.get("more_body"):
            return body
        chunks = [body]
        size = len(body)
        while message.get("more_body"):
            message = await receive()
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise BadRequest(f"the request body is larger than the limit of {limit} bytes", 413)
            chunks.append(chunk)
        return b"".join(chunks)

    async def infer(scope: dict[str, Any], receive: TReceive, send: TSend, kind: str) -> None:
        started = time.perf_counter()
        metrics.in_flight.inc()
        status, rows = 500, 0
        try:
            try:
                body = await read_body(scope, receive)
                model, batcher = state.model, state.batcher
                if model is None or batcher is None:
                    raise BadRequest(f"model {name} is not ready", 503)
                batcher.admit(len(body))
                spec = model.spec
                if kind == "v2":
                    header_length = None
                    for key, value in scope["headers"]:
                        if key == b"inference-header-content-length":
                            if not value.isdigit():
                                raise BadRequest("Inference-Header-Content-Length must be a non-negative integer")
                            header_length = int(value)
                    request = parse_v2(spec, body, header_length)
                    wanted = frozenset(o.name for o, _ in request.outputs)
                    result = await batcher.submit(request.rows, wanted, len(body))
                    payload, head = build_v2(state.v2_prefix, request, result)
                    rows = request.rows.shape[0]
                    if head is None:
                        await send_reply(send, kind, 200, payload)
                    else:
                        await send_reply(send, kind, 200, payload, BINARY, [(b"inference-header-content-length", str(head).encode())])
                else:
                    array = parse_v1(spec, body)
                    result = await batcher.submit(array, frozenset((spec.v1_output,)), len(body))
                    rows = array.shape[0]
                    await send_reply(send, kind, 200, build_v1(result[spec.v1_output]))
                status = 200
            except Exception as error:  # noqa: BLE001 - mapped to a status once, in describe_error
                status = await send_error(send, kind, error)
        finally:
            metrics.in_flight.dec()
            metrics.latency[kind].observe((time.perf_counter() - started) * 1000.0)
            if status == 200:
                metrics.predictions[kind].inc(rows)

    open_paths = frozenset(("/v2/health/live", "/v2/health/ready"))

    def is_authorized(scope: dict[str, Any]) -> bool:
        expected = state.expected_auth
        assert expected is not None
        alternative = None
        for key, value in scope["headers"]:
            if key == b"authorization":
                if len(value) != len(expected) or value[6:7] != b" ":
                    return False
                return value[:6].lower() == b"bearer" and hmac.compare_digest(value[7:], expected[7:])
            if key == ALT_HEADER:
                alternative = value
        # The token alone, for callers whose path consumes Authorization (the Kubernetes service proxy).
        return alternative is not None and hmac.compare_digest(alternative, expected[7:])

    async def app(scope: dict[str, Any], receive: TReceive, send: TSend) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        path = scope["path"]
        method = scope["method"]
        if state.expected_auth is not None and not (state.is_health_public and path in open_paths) and not is_authorized(scope):
            await send_reply(send, protocol_of(path), 401, UNAUTHORIZED, JSON, [(b"www-authenticate", b'Bearer realm="kubeserve-sklearn"')], close=True)
            return
        if method == "POST":
            kind = infer_routes.get(path)
            if kind is not None:
                await infer(scope, receive, send, kind)
                return
        elif method in ("GET", "HEAD"):
            get = gets.get(path)
            if get is not None:
                status, body = get()
                await send_reply(send, protocol_of(path), status, body)
                return
            if path == "/metrics":
                await send_reply(send, "other", 200, metrics.render(), CONTENT_TYPE.encode())
                return
        await send_error(send, protocol_of(path), explain_missing(method, path))

    return app


def describe_error(error: Exception) -> tuple[int, str, list[tuple[bytes, bytes]]]:
    if isinstance(error, BadRequest):
        return error.status, str(error), [(k.encode(), v.encode()) for k, v in error.headers.items()]
    if isinstance(error, (QueueFullError, ShuttingDownError)):
        return 503, str(error), [(b"retry-after", b"1")]
    if isinstance(error, InferenceError):
        return 500, str(error), []
    return 500, "internal server error", []
