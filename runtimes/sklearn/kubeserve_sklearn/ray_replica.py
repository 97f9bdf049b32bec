"""What one KubeServe replica on Ray Serve does, without Ray: the Serve wrapper (ray_entry) only forwards.

Fetch the artifact from the API's short-lived signed URL (kept only when its SHA-256 matches), load it
(scikit-learn through the pickle scan, ONNX through onnxruntime), serve it with the scikit-learn
runtime's own ASGI handlers (V2 infer/metadata/ready, V1), apply Ray's `user_config` to the batcher,
and refuse requests without the gateway's replica token (Ray's Serve proxy authenticates no one).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Awaitable

import numpy as np

from .app import State, create_app
from .batcher import Batcher
from .config import Config
from .fetch import FetchError, fetch_to
from .jsonfast import dumps
from .metrics import Metrics
from .model_runtime import ModelLoadError, load_model
from .protocol import ModelSpec, OutputSpec

TAsgi = Callable[[dict[str, Any], Any, Any], Awaitable[None]]
TOKEN_HEADER = b"x-kubeserve-token"
UNAUTHORIZED = dumps({"error": "missing or invalid replica token"}).encode()
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
# Node-local: replicas on one node share verified downloads (one file per SHA-256).
DEFAULT_CACHE_DIR = os.path.join(tempfile.gettempdir(), "kubeserve-ray-models")
_ONNX_TYPES = {
    "tensor(float)": ("FP64", np.float64),
    "tensor(double)": ("FP64", np.float64),
    "tensor(float16)": ("FP64", np.float64),
    "tensor(int64)": ("INT64", np.int64),
    "tensor(int32)": ("INT64", np.int64),
    "tensor(bool)": ("BOOL", np.bool_),
    "tensor(string)": ("BYTES", np.object_),
}


class EntryError(ValueError):
    """Bad `args` or `user_config`: Ray reports the message as the application's DEPLOY_FAILED reason."""


@dataclass(frozen=True)
class ReplicaArgs:
    deployment_id: str
    model_name: str
    artifact_url: str
    artifact_sha256: str
    token_sha256: str
    generation: int
    model_format: str


@dataclass(frozen=True)
class BatchSettings:
    is_batching: bool
    max_batch_size: int
    batch_wait_timeout_s: float


def parse_args(args: Mapping[str, Any]) -> ReplicaArgs:
    """The application's `args` as the API writes them; every problem is named at once."""
    rules: dict[str, tuple[Callable[[Any], bool], str]] = {
        "deployment_id": (lambda v: isinstance(v, str) and bool(_UUID.match(v)), "a lowercase UUID"),
        "model_name": (lambda v: isinstance(v, str) and bool(_NAME.match(v)), "letters, digits, '_', '.', '-'"),
        "artifact_url": (lambda v: isinstance(v, str) and v.startswith(("http://", "https://")), "an http(s) URL"),
        "artifact_sha256": (lambda v: isinstance(v, str) and bool(_HEX64.match(v)), "64 lowercase hex digits"),
        "token_sha256": (lambda v: isinstance(v, str) and bool(_HEX64.match(v)), "64 lowercase hex digits"),
    }
    problems = [f"args.{key} must be {what}" for key, (ok, what) in rules.items() if not ok(args.get(key))]
    generation = args.get("generation", 0)
    if isinstance(generation, bool) or not isinstance(generation, int) or generation < 0:
        problems.append("args.generation must be a non-negative integer")
    model_format = args.get("model_format", "auto")
    if model_format not in ("auto", "onnx", "sklearn"):
        problems.append("args.model_format must be auto, onnx or sklearn")
    unknown = sorted(set(args) - set(rules) - {"generation", "model_format"})
    if unknown:
        problems.append(f"unknown args: {', '.join(unknown)}")
    if problems:
        raise EntryError("invalid KubeServe application args: " + "; ".join(problems))
    return ReplicaArgs(
        args["deployment_id"], args["model_name"], args["artifact_url"], args["artifact_sha256"],
        args["token_sha256"], generation, model_format,
    )


def parse_user_config(config: Mapping[str, Any] | None) -> BatchSettings:
    """`user_config` (batching, max_batch_size, batch_wait_timeout_s, as in @serve.batch); defaults fill gaps."""
    config = dict(config or {})
    problems: list[str] = []
    batching = config.pop("batching", "auto")
    if batching not in ("auto", "on", "off"):
        problems.append("user_config.batching must be auto, on or off")
    size = config.pop("max_batch_size", 32)
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= 65536:
        problems.append("user_config.max_batch_size must be an integer from 1 to 65536")
    wait = config.pop("batch_wait_timeout_s", 0.001)
    if isinstance(wait, bool) or not isinstance(wait, (int, float)) or not 0 <= wait <= 1:
        problems.append("user_config.batch_wait_timeout_s must be a number of seconds from 0 to 1")
    if config:
        problems.append(f"unknown user_config keys: {', '.join(sorted(config))}")
    if problems:
        raise EntryError("invalid user_config: " + "; ".join(problems))
    return BatchSettings(batching != "off", size, float(wait))


def strip_prefix(path: str, prefix: str) -> str:
    """Ray hands the full path to the replica; the shared handlers expect it without the route prefix."""
    if prefix and (path == prefix or path.startswith(prefix + "/")):
        return path[len(prefix):] or "/"
    return path


async def call_asgi(
    app: TAsgi, method: str, path: str, query: bytes, headers: list[tuple[bytes, bytes]], body: bytes
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """Runs one request through an ASGI app and collects its answer (status, headers, body)."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "path": path, "raw_path": path.encode(), "query_string": query, "headers": headers,
        "scheme": "http", "server": ("ray", 8000), "client": ("ray-proxy", 0),
    }
    sent = False
    out: dict[str, Any] = {"status": 500, "headers": [], "body": bytearray()}

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            out["status"] = message["status"]
            out["headers"] = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            out["body"] += message.get("body", b"")

    await app(scope, receive, send)
    return out["status"], out["headers"], bytes(out["body"])


def sniff_format(path: str) -> str:
    """An ONNX ModelProto opens with field 1 (ir_version, varint: byte 0x08); no pickle opcode is 0x08."""
    with open(path, "rb") as handle:
        return "onnx" if handle.read(1) == b"\x08" else "sklearn"


class OnnxModel:
    """One rank-2 numeric input, tensor outputs: what the shared V2/V1 handlers can describe."""

    def __init__(self, path: str, name: str) -> None:
        try:
            import onnxruntime  # type: ignore[import-not-found]
        except ImportError as error:
            raise ModelLoadError(
                "this is an ONNX model and the Ray image has no onnxruntime: add it to the cluster image "
                "or the application's runtime_env pip list"
            ) from error
        started = time.perf_counter()
        try:
            self.session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
        except Exception as error:  # noqa: BLE001 - onnxruntime raises its own types
            raise ModelLoadError(f"onnxruntime cannot load the model: {error}") from error
        inputs = self.session.get_inputs()
        if len(inputs) != 1:
            raise ModelLoadError(f"the Ray runtime serves ONNX models with one input; this one has {len(inputs)}")
        item = inputs[0]
        shape = list(item.shape)
        if len(shape) != 2 or not isinstance(shape[1], int) or item.type not in ("tensor(float)", "tensor(double)"):
            raise ModelLoadError(
                f"the ONNX input '{item.name}' must be a float tensor of shape [batch, features], "
                f"got {item.type} {shape}"
            )
        self.input_name = item.name
        self.input_dtype = np.float32 if item.type == "tensor(float)" else np.float64
        outputs: list[OutputSpec] = []
        self.casts: dict[str, Any] = {}
        for out in self.session.get_outputs():
            mapped = _ONNX_TYPES.get(out.type)
            if mapped is None:
                continue  # e.g. skl2onnx's ZipMap (seq(map)): not a tensor the protocol can carry
            dims = list(out.shape or [])
            width = dims[1] if len(dims) == 2 and isinstance(dims[1], int) else None
            outputs.append(OutputSpec(out.name, mapped[0], width))
            self.casts[out.name] = mapped[1]
        if not outputs:
            raise ModelLoadError("the ONNX model has no tensor output (convert classifiers with zipmap=False)")
        self.spec = ModelSpec(name, "1", shape[1], tuple(outputs), outputs[0].name)
        self.run(np.zeros((1, shape[1])), frozenset(o.name for o in outputs))
        self.load_seconds = time.perf_counter() - started

    def run(self, rows: np.ndarray, outputs: frozenset[str]) -> dict[str, np.ndarray]:
        names = [o.name for o in self.spec.outputs if o.name in outputs]
        values = self.session.run(names, {self.input_name: rows.astype(self.input_dtype)})
        return {n: np.asarray(v).astype(self.casts[n]) for n, v in zip(names, values)}


def fetch_artifact(args: ReplicaArgs, cache_dir: str) -> str:
    """One file per SHA-256, re-verified before reuse; a replica restart on the same node fetches nothing."""
    target = os.path.join(cache_dir, args.artifact_sha256)
    if os.path.isfile(target):
        digest = hashlib.sha256()
        with open(target, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        if digest.hexdigest() == args.artifact_sha256:
            return target
    try:
        # The signed URL is its own credential (no bearer token); fetch_to keeps the file only on a match.
        fetch_to(args.artifact_url, args.artifact_sha256, target, None)
    except FetchError as error:
        raise ModelLoadError(str(error)) from error
    return target


class ReplicaHost:
    """Everything a Ray replica does, given its `args`; Ray's calls map onto reconfigure/handle/check_health."""

    def __init__(
        self,
        raw_args: Mapping[str, Any],
        metrics_factory: Callable[[str, str, str], Any] = Metrics,
        cache_dir: str | None = None,
    ) -> None:
        self.args = args = parse_args(raw_args)
        self.prefix = f"/kubeserve/{args.deployment_id}"
        self._token_digest = bytes.fromhex(args.token_sha256)
        path = fetch_artifact(args, cache_dir or DEFAULT_CACHE_DIR)
        self.model_format = sniff_format(path) if args.model_format == "auto" else args.model_format
        if self.model_format == "onnx":
            model: Any = OnnxModel(path, args.model_name)
        else:
            config = Config(model=path, name=args.model_name, sha256=args.artifact_sha256, deployment=args.deployment_id)
            model = load_model(config)
        self.metrics = metrics_factory(args.model_name, "1", args.deployment_id)
        defaults = parse_user_config(None)
        self.batcher = Batcher(
            model.run, self.metrics, defaults.is_batching, defaults.max_batch_size,
            defaults.batch_wait_timeout_s * 1000.0, 1024, 256 << 20,
        )
        self.settings = defaults
        self.state = State(args.model_name, "1", self.metrics, None, 32 << 20)
        self.state.set_loaded(model, self.batcher)
        if self.model_format == "onnx":
            metadata = json.loads(self.state.metadata_json)
            metadata["platform"] = "onnxruntime_onnx"
            self.state.metadata_json = dumps(metadata).encode()
        self.metrics.model_load.set(model.load_seconds)
        self.metrics.ready.set(1)
        self.app = create_app(self.state)

    def reconfigure(self, user_config: Mapping[str, Any] | None) -> None:
        """Ray calls this after __init__ and on every user_config change, without restarting the replica."""
        settings = parse_user_config(user_config)
        self.batcher.reconfigure(settings.is_batching, settings.max_batch_size, settings.batch_wait_timeout_s * 1000.0)
        self.settings = settings

    def is_authorized(self, headers: list[tuple[bytes, bytes]]) -> bool:
        """The gateway's replica token; only its SHA-256 is in the (readable) Serve config."""
        for key, value in headers:
            if key.lower() == TOKEN_HEADER:
                return hmac.compare_digest(hashlib.sha256(value).digest(), self._token_digest)
        return False

    async def handle(
        self, method: str, path: str, query: bytes, headers: list[tuple[bytes, bytes]], body: bytes
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        if not self.is_authorized(headers):
            self.metrics.count_request("other", 401)
            return 401, [(b"content-type", b"application/json")], UNAUTHORIZED
        return await call_asgi(self.app, method, strip_prefix(path, self.prefix), query, headers, body)

    def check_health(self) -> None:
        """Ray's health check: raising marks the replica unhealthy and Ray replaces it."""
        if not self.state.is_ready:
            raise RuntimeError(f"model {self.args.model_name} is not ready")
