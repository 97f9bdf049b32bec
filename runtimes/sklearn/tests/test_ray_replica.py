"""The Ray Serve entry module under stand-ins for ray.serve, ray.util.metrics and onnxruntime.

Neither Ray nor onnxruntime installs here; tests/standins/ holds the few documented calls the module
makes, so loading (signed URL, SHA-256), reconfigure (user_config), auth and inference really run.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib.util
import json
import sys
import tempfile
import threading
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np

from kubeserve_sklearn import ray_replica

from .helpers import RUNTIME, model_path, samples

STANDINS = Path(__file__).resolve().parent / "standins"
TOKEN = b"ray-replica-token-0123456789abcdef"
DEPLOYMENT = "0190a6f2-8000-7000-8000-0000000000a1"
PREFIX = f"/kubeserve/{DEPLOYMENT}"


def build_onnx_model() -> tuple[bytes, np.ndarray, np.ndarray]:
    """y = sigmoid(x · W + b): 3 features, 2 outputs; what a small converted model looks like."""
    from onnx import TensorProto, helper, numpy_helper

    weights = np.array([[0.5, -1.0], [0.25, 0.75], [-0.5, 2.0]], dtype=np.float32)
    bias = np.array([0.1, -0.2], dtype=np.float32)
    graph = helper.make_graph(
        [
            helper.make_node("MatMul", ["x", "W"], ["z"]),
            helper.make_node("Add", ["z", "b"], ["logits"]),
            helper.make_node("Sigmoid", ["logits"], ["scores"]),
        ],
        "linear",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3])],
        [
            helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["batch", 2]),
            helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 2]),
        ],
        [numpy_helper.from_array(weights, "W"), numpy_helper.from_array(bias, "b")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    return model.SerializeToString(), weights, bias


class _Artifacts(BaseHTTPRequestHandler):
    files: dict[str, bytes] = {}
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        path, _, query = self.path.partition("?")
        self.hits.append(path)
        data = self.files.get(path)
        # The API's signed URL: the stand-in only checks that a signature is present.
        if data is None or "signature=" not in query:
            self.send_response(404)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


def import_entry_with_ray() -> Any:
    """A separate copy of ray_entry imported with the stand-in `ray` first on sys.path."""
    sys.path.insert(0, str(STANDINS))
    try:
        spec = importlib.util.spec_from_file_location(
            "kubeserve_sklearn._ray_entry_under_standin", RUNTIME / "kubeserve_sklearn" / "ray_entry.py"
        )
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(STANDINS))


def make_request(method: str, path: str, body: bytes = b"", token: bytes | None = TOKEN) -> Any:
    """A real starlette Request, as Ray's proxy hands one to the replica's __call__."""
    from starlette.requests import Request

    headers = [(b"content-type", b"application/json")]
    if token is not None:
        headers.append((b"x-kubeserve-token", token))
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    scope = {"type": "http", "method": method, "path": path, "raw_path": path.encode(), "query_string": b"", "headers": headers}
    return Request(scope, receive)


class RayReplicaTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.sklearn_bytes = model_path("iris-logreg").read_bytes()
        cls.onnx_bytes, cls.weights, cls.bias = build_onnx_model()
        _Artifacts.files = {"/iris": cls.sklearn_bytes, "/linear": cls.onnx_bytes}
        cls.http = ThreadingHTTPServer(("127.0.0.1", 0), _Artifacts)
        threading.Thread(target=cls.http.serve_forever, daemon=True).start()
        cls.origin = f"http://127.0.0.1:{cls.http.server_address[1]}"
        sys.modules.pop("onnxruntime", None)
        sys.path.insert(0, str(STANDINS))
        cls.entry = import_entry_with_ray()
        from ray.util import metrics as standin_metrics  # the stand-in, from tests/standins

        cls.recorded = standin_metrics.RECORDED

    @classmethod
    def tearDownClass(cls) -> None:
        cls.http.shutdown()
        sys.path.remove(str(STANDINS))
        for name in [n for n in sys.modules if n == "ray" or n.startswith(("ray.", "onnxruntime"))]:
            del sys.modules[name]

    def setUp(self) -> None:
        self.cache = tempfile.mkdtemp(prefix="ray-replica-test-")
        _Artifacts.hits.clear()
        self.recorded.clear()

    def args(self, name: str, data: bytes, **extra: Any) -> dict[str, Any]:
        return {
            "deployment_id": DEPLOYMENT,
            "model_name": name,
            "generation": 1,
            "artifact_url": f"{self.origin}/{name}?expires=9999999999&signature=abc",
            "artifact_sha256": hashlib.sha256(data).hexdigest(),
            "token_sha256": hashlib.sha256(TOKEN).hexdigest(),
            **extra,
        }

    def deploy(self, args: dict[str, Any], user_config: dict[str, Any] | None) -> Any:
        """What Ray's controller does with the config: call the builder, construct, reconfigure."""
        application = self.entry.app(args)
        self.assertEqual(application.deployment.name, "KubeServeModel")
        with mock.patch.object(ray_replica, "DEFAULT_CACHE_DIR", self.cache):
            replica = application.deployment.func_or_class(*application.init_args)
        replica.reconfigure(user_config)
        return replica

    def call(self, replica: Any, method: str, path: str, body: Any = None, token: bytes | None = TOKEN) -> tuple[int, Any]:
        raw = b"" if body is None else json.dumps(body).encode()
        response = asyncio.run(replica(make_request(method, PREFIX + path, raw, token)))
        return response.status_code, json.loads(response.body)

    def test_sklearn_model_from_the_signed_url_serves_v2_v1_and_metadata(self) -> None:
        replica = self.deploy(self.args("iris", self.sklearn_bytes), {"batching": "auto", "max_batch_size": 8, "batch_wait_timeout_s": 0.002})
        sample = samples("iris-logreg")
        status, body = self.call(replica, "POST", "/v2/models/iris/infer", {"inputs": [{"name": "input", "datatype": "FP64", "shape": [8, 4], "data": sample["inputs"]}]})
        self.assertEqual(status, 200)
        outputs = {o["name"]: o for o in body["outputs"]}
        self.assertEqual(outputs["predict"]["data"], sample["predict"])
        np.testing.assert_allclose(np.array(outputs["predict_proba"]["data"]).reshape(8, 3), sample["predict_proba"], rtol=1e-6)
        self.assertEqual(self.call(replica, "GET", "/v2/models/iris/ready")[0], 200)
        status, meta = self.call(replica, "GET", "/v2/models/iris")
        self.assertEqual((status, meta["platform"], meta["inputs"][0]["shape"]), (200, "sklearn", [-1, 4]))
        status, v1 = self.call(replica, "POST", "/v1/models/iris:predict", {"instances": sample["inputs"][:2]})
        self.assertEqual(status, 200)
        np.testing.assert_allclose(v1["predictions"], sample["predict_proba"][:2], rtol=1e-6)
        self.assertEqual(_Artifacts.hits, ["/iris"])

    def test_a_path_without_the_route_prefix_is_served_too(self) -> None:
        replica = self.deploy(self.args("iris", self.sklearn_bytes), None)
        response = asyncio.run(replica(make_request("GET", "/v2/models/iris/ready")))
        self.assertEqual(response.status_code, 200)

    def test_requests_without_the_replica_token_are_refused(self) -> None:
        replica = self.deploy(self.args("iris", self.sklearn_bytes), None)
        self.assertEqual(self.call(replica, "GET", "/v2/models/iris/ready", token=None)[0], 401)
        self.assertEqual(self.call(replica, "GET", "/v2/models/iris/ready", token=b"not-the-token-0123456789")[0], 401)
        status, body = self.call(replica, "POST", "/v2/models/iris/infer", {"inputs": []}, token=TOKEN[:-1])
        self.assertEqual((status, body["error"]), (401, "missing or invalid replica token"))

    def test_records_request_count_and_latency_through_ray_metrics(self) -> None:
        replica = self.deploy(self.args("iris", self.sklearn_bytes), None)
        self.recorded.clear()
        self.call(replica, "POST", "/v2/models/iris/infer", {"inputs": [{"name": "input", "datatype": "FP64", "shape": [1, 4], "data": [5.1, 3.5, 1.4, 0.2]}]})
        self.call(replica, "GET", "/v2/models/iris/ready", token=None)
        tags = {"model": "iris", "version": "1", "deployment": DEPLOYMENT}
        counts = [(v, t["code"]) for kind, name, v, t in self.recorded if name == "kubeserve_requests"]
        self.assertEqual(counts, [(1.0, "200"), (1.0, "401")])
        latency = [t for kind, name, _, t in self.recorded if name == "kubeserve_prediction_latency_ms"]
        self.assertEqual(latency, [{**tags, "protocol": "v2"}])
        rows = [v for _, name, v, _ in self.recorded if name == "kubeserve_predictions"]
        self.assertEqual(rows, [1.0])

    def test_reconfigure_applies_max_batch_size_to_a_live_replica(self) -> None:
        replica = self.deploy(self.args("iris", self.sklearn_bytes), {"max_batch_size": 3, "batch_wait_timeout_s": 0.01})
        body = json.dumps({"inputs": [{"name": "input", "datatype": "FP64", "shape": [1, 4], "data": [5.1, 3.5, 1.4, 0.2]}]}).encode()

        async def burst(n: int) -> list[int]:
            answers = await asyncio.gather(*(replica(make_request("POST", PREFIX + "/v2/models/iris/infer", body)) for _ in range(n)))
            return [a.status_code for a in answers]

        def batches() -> list[float]:
            return [v for _, name, v, _ in self.recorded if name == "kubeserve_batch_size"]

        self.recorded.clear()
        self.assertEqual(asyncio.run(burst(7)), [200] * 7)
        self.assertEqual(sum(batches()), 7)
        self.assertLessEqual(max(batches()), 3)
        self.assertGreater(max(batches()), 1)
        replica.reconfigure({"batching": "off"})
        self.recorded.clear()
        self.assertEqual(asyncio.run(burst(4)), [200] * 4)
        self.assertEqual(batches(), [1.0, 1.0, 1.0, 1.0])
        with self.assertRaisesRegex(ValueError, "max_batch_size must be an integer.*unknown user_config keys: max_queue_delay_ms"):
            replica.reconfigure({"max_batch_size": 0, "max_queue_delay_ms": 2})

    def test_a_corrupted_artifact_fails_the_sha256_check_and_is_not_kept(self) -> None:
        args = self.args("iris", self.sklearn_bytes, artifact_sha256="0" * 64)
        with self.assertRaisesRegex(Exception, "SHA-256"):
            self.deploy(args, None)
        self.assertEqual(list(Path(self.cache).iterdir()), [])

    def test_a_verified_cached_artifact_is_not_fetched_again(self) -> None:
        self.deploy(self.args("iris", self.sklearn_bytes), None)
        self.deploy(self.args("iris", self.sklearn_bytes), None)
        self.assertEqual(_Artifacts.hits, ["/iris"])

    def test_bad_args_are_named(self) -> None:
        args = self.args("iris", self.sklearn_bytes)
        del args["token_sha256"]
        args["color"] = "blue"
        with self.assertRaisesRegex(ValueError, r"args.token_sha256 must be 64 lowercase hex digits; unknown args: color"):
            self.deploy(args, None)

    def test_onnx_model_through_onnxruntime(self) -> None:
        replica = self.deploy(self.args("linear", self.onnx_bytes), {"max_batch_size": 4})
        rows = [[1.0, 2.0, 3.0], [0.0, -1.0, 0.5]]
        status, body = self.call(replica, "POST", "/v2/models/linear/infer", {"inputs": [{"name": "input", "datatype": "FP64", "shape": [2, 3], "data": rows}], "outputs": [{"name": "scores"}]})
        self.assertEqual(status, 200)
        expected = 1 / (1 + np.exp(-(np.array(rows, dtype=np.float32) @ self.weights + self.bias)))
        self.assertEqual([o["name"] for o in body["outputs"]], ["scores"])
        np.testing.assert_allclose(np.array(body["outputs"][0]["data"]).reshape(2, 2), expected, rtol=1e-6)
        status, meta = self.call(replica, "GET", "/v2/models/linear")
        self.assertEqual(meta["platform"], "onnxruntime_onnx")
        self.assertEqual([o["name"] for o in meta["outputs"]], ["scores", "logits"])
        status, body = self.call(replica, "POST", "/v2/models/linear/infer", {"inputs": [{"name": "input", "datatype": "FP64", "shape": [1, 4], "data": [1, 2, 3, 4]}]})
        self.assertEqual(status, 400)
        self.assertIn("expected shape [-1,3]", body["error"])


if __name__ == "__main__":
    unittest.main()
