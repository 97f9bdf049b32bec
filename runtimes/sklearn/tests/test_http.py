"""Every endpoint, every error code, the replica token, and the V2 bodies against the OpenAPI file."""

from __future__ import annotations

import json
import unittest
from typing import Any

import jsonschema
import yaml

from .helpers import SHARED, TOKEN, Server, model_path

SPEC_FILE = SHARED / "schemas" / "open-inference-protocol" / "open_inference_rest.yaml"
ROW = [6.8, 3.0, 5.5, 2.1]
AUTH = {"authorization": f"Bearer {TOKEN}"}


def load_validators() -> dict[str, Any]:
    spec = yaml.safe_load(SPEC_FILE.read_text())
    schemas = spec["components"]["schemas"]
    root = {"components": spec["components"]}

    def validator(name: str) -> jsonschema.Draft4Validator:
        resolver = jsonschema.RefResolver.from_schema(root)
        return jsonschema.Draft4Validator(schemas[name], resolver=resolver)

    return {name: validator(name) for name in schemas}


class HttpTest(unittest.TestCase):
    server: Server
    validators: dict[str, Any]

    @classmethod
    def setUpClass(cls) -> None:
        cls.validators = load_validators()
        cls.server = Server(model_path("iris-logreg"), "--name", "iris", "--max-body-bytes", "2048", env={"KUBESERVE_AUTH_TOKEN": TOKEN})

    @classmethod
    def tearDownClass(cls) -> None:
        cls.server.stop()

    def call(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], Any]:
        status, reply_headers, data = self.server.request(method, path, body, {**AUTH, **(headers or {})})
        return status, reply_headers, json.loads(data) if data and reply_headers.get("content-type", "").startswith("application/json") else data

    def valid(self, schema: str, body: Any) -> None:
        errors = [e.message for e in self.validators[schema].iter_errors(body)]
        self.assertEqual(errors, [], json.dumps(body))

    def test_v2_endpoints_match_the_openapi_file(self) -> None:
        status, _, body = self.call("GET", "/v2/")
        self.assertEqual(status, 200)
        self.valid("metadata_server_response", body)
        for path in ("/v2/models/iris", "/v2/models/iris/versions/1"):
            status, _, body = self.call("GET", path)
            self.assertEqual(status, 200)
            self.valid("metadata_model_response", body)
            self.assertEqual(body["inputs"], [{"name": "input", "datatype": "FP64", "shape": [-1, 4]}])
            self.assertEqual([o["name"] for o in body["outputs"]], ["predict", "predict_proba"])
        request = {"id": "7", "inputs": [{"name": "input", "shape": [2, 4], "datatype": "FP64", "data": [ROW, ROW]}], "outputs": [{"name": "predict_proba"}]}
        self.valid("inference_request", request)
        status, _, body = self.call("POST", "/v2/models/iris/infer", request)
        self.assertEqual(status, 200)
        self.valid("inference_response", body)
        self.assertEqual([o["name"] for o in body["outputs"]], ["predict_proba"])
        self.assertEqual(body["outputs"][0]["shape"], [2, 3])
        status, _, body = self.call("POST", "/v2/models/iris/infer", {"inputs": [{"name": "nope", "shape": [1, 4], "datatype": "FP64", "data": ROW}]})
        self.assertEqual(status, 400)
        self.valid("inference_error_response", body)
        status, _, body = self.call("GET", "/v2/models/other")
        self.assertEqual(status, 404)
        self.valid("metadata_model_error_response", body)

    def test_health_readiness_and_listing(self) -> None:
        expected = {
            "/v2/health/live": {"live": True},
            "/v2/health/ready": {"ready": True},
            "/v2/models/iris/ready": {"name": "iris", "ready": True},
            "/v2/models/iris/versions/1/ready": {"name": "iris", "ready": True},
            "/v2/models": {"models": [{"name": "iris", "version": "1", "state": "READY"}]},
            "/v1/models": {"models": ["iris"]},
            "/v1/models/iris": {"name": "iris", "ready": True},
            "/health": {"status": "ok"},
        }
        for path, body in expected.items():
            with self.subTest(path):
                self.assertEqual(self.call("GET", path)[::2], (200, body))

    def test_errors_name_the_problem(self) -> None:
        cases: list[tuple[str, str, Any, int, str]] = [
            ("POST", "/predict", {"instances": [[1, 2, 3]]}, 400, "expected shape [-1,4]"),
            ("POST", "/predict", {"instances": [[1, "2", 3, 4]]}, 400, "got the string '2'"),
            ("POST", "/predict", {"instances": [[1, None, 3, 4]]}, 400, "got null"),
            ("POST", "/predict", {"instances": [[1, True, 3, 4]]}, 400, "got boolean true"),
            ("POST", "/predict", '{"instances": [[1, NaN, 3, 4]]}', 400, "no NaN"),
            ("POST", "/predict", '{"instances": [[1, 1e999, 3, 4]]}', 400, "finite"),
            ("POST", "/predict", {"instances": [[1, 2, 3, 4], [1, 2]]}, 400, "different lengths"),
            ("POST", "/predict", {"instances": []}, 400, "at least one row"),
            ("POST", "/predict", {"rows": []}, 400, "'instances'"),
            ("POST", "/predict", "not json", 400, "not valid JSON"),
            ("POST", "/predict", [1, 2], 400, "JSON object"),
            ("POST", "/v2/models/iris/infer", {"inputs": [{"name": "input", "shape": [1, 4], "datatype": "INT32", "data": ROW}]}, 400, "expected datatype FP64"),
            ("POST", "/v2/models/iris/infer", {"inputs": [{"name": "input", "shape": [2, 4], "datatype": "FP64", "data": ROW}]}, 400, "needs 8 elements"),
            ("POST", "/v2/models/iris/infer", {"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP64"}]}, 400, "'data' is missing"),
            ("POST", "/v2/models/iris/infer", {"inputs": []}, 400, "'inputs' must be"),
            ("POST", "/v2/models/iris/infer", {"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP64", "data": ROW}], "outputs": [{"name": "x"}]}, 400, "unknown output 'x'"),
            ("POST", "/v2/models/iris/infer", {"id": 5, "inputs": []}, 400, "'id' must be a string"),
            ("GET", "/v2/models/iris/versions/9", None, 404, "unknown version '9'"),
            ("POST", "/v1/models/other:predict", {"instances": [ROW]}, 404, "unknown model 'other'"),
            ("GET", "/nowhere", None, 404, "no route for GET /nowhere"),
            ("DELETE", "/predict", None, 405, "method DELETE is not allowed"),
            ("GET", "/v2/models/iris/infer", None, 405, "not allowed"),
            ("POST", "/predict", {"instances": [ROW] * 200}, 413, "larger than the limit of 2048 bytes"),
        ]
        for method, path, body, status, message in cases:
            with self.subTest(f"{method} {path} {str(body)[:40]}"):
                got, _, answer = self.call(method, path, body)
                self.assertEqual(got, status, answer)
                self.assertIn(message, answer["error"])

    def test_binary_extension_errors(self) -> None:
        header = json.dumps({"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP64", "parameters": {"binary_data_size": 32}}]}).encode()
        cases = [
            (header + b"\x00" * 16, str(len(header)), "runs past the end"),
            (header + b"\x00" * 40, str(len(header)), "add up to 32"),
            (header, "99999", "larger than the body"),
            (header, "-1", "non-negative integer"),
        ]
        for body, length, message in cases:
            with self.subTest(message):
                status, _, answer = self.call("POST", "/v2/models/iris/infer", body, {"inference-header-content-length": length})
                self.assertEqual(status, 400, answer)
                self.assertIn(message, answer["error"])

    def test_replica_token_on_every_path(self) -> None:
        wrong = [
            {},
            {"authorization": TOKEN},
            {"authorization": f"Basic {TOKEN}"},
            {"authorization": f"Bearer {TOKEN[:-1]}"},
            {"authorization": f"Bearer {TOKEN}x"},
            {"authorization": f"Bearer  {TOKEN}"},
            {"authorization": "Bearer "},
            {"authorization": f"Bearer {TOKEN.upper()}"},
        ]
        paths = [("GET", "/v2/health/live"), ("GET", "/v2/models/iris"), ("POST", "/predict"), ("POST", "/v2/models/iris/infer"), ("GET", "/metrics"), ("GET", "/nowhere")]
        for headers in wrong:
            for method, path in paths:
                with self.subTest(f"{headers} {method} {path}"):
                    status, reply_headers, data = self.server.request(method, path, json.dumps({"instances": [ROW]}) if method == "POST" else None, headers)
                    self.assertEqual(status, 401)
                    self.assertEqual(json.loads(data), {"error": "missing or invalid replica token"})
                    self.assertEqual(reply_headers["www-authenticate"], 'Bearer realm="kubeserve-sklearn"')
                    self.assertEqual(reply_headers["connection"], "close")
        status, _, _ = self.server.request("GET", "/v2/health/live", None, {"authorization": f"bEaReR {TOKEN}"})
        self.assertEqual(status, 200)

    def test_metrics_have_the_inference_servers_names_and_labels(self) -> None:
        self.call("POST", "/predict", {"instances": [ROW, ROW]})
        self.call("POST", "/v1/models/iris:predict", {"instances": [ROW]})
        self.call("POST", "/predict", {"instances": [[1]]})
        self.server.request("GET", "/metrics")
        status, headers, text = self.server.request("GET", "/metrics", None, AUTH)
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("text/plain"))
        text = text.decode()
        for family in ("requests_total", "prediction_latency_ms", "predictions_total", "queue_wait_ms", "batch_size", "inference_run_ms", "requests_in_flight", "model_load_seconds", "model_ready"):
            self.assertIn(f"# TYPE {family} ", text)
        self.assertRegex(text, r'requests_total\{code="400",deployment="",model="iris",protocol="predict",version="1"\} [1-9]')
        self.assertRegex(text, r'requests_total\{code="401",deployment="",model="iris",protocol="other",version="1"\} [1-9]')
        self.assertRegex(text, r'predictions_total\{deployment="",model="iris",protocol="v1",version="1"\} [1-9]')
        self.assertRegex(text, r'prediction_latency_ms_bucket\{deployment="",le="0.1",model="iris",protocol="predict",version="1"\}')
        self.assertRegex(text, r'model_ready\{deployment="",model="iris",version="1"\} 1.0')
        self.assertNotIn("_created", text)


if __name__ == "__main__":
    unittest.main()
