"""`fetch` (init containers) and http(s) models: bearer token, SHA-256 check, atomic writes."""

from __future__ import annotations

import hashlib
import tempfile
import threading
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from .helpers import Server, model_path, run_cli

TOKEN = "artifact-read-token-0123456789"


class _Artifacts(BaseHTTPRequestHandler):
    data = model_path("iris-logreg").read_bytes()

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        if self.headers.get("authorization") != f"Bearer {TOKEN}":
            self.send_response(401)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("content-length", str(len(self.data)))
        self.end_headers()
        self.wfile.write(self.data)

    def log_message(self, *args: object) -> None:
        pass


class FetchTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.http = ThreadingHTTPServer(("127.0.0.1", 0), _Artifacts)
        threading.Thread(target=cls.http.serve_forever, daemon=True).start()
        cls.url = f"http://127.0.0.1:{cls.http.server_address[1]}/artifact"
        cls.sha = hashlib.sha256(_Artifacts.data).hexdigest()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.http.shutdown()

    def setUp(self) -> None:
        self.tmp = tempfile.TemporaryDirectory()
        self.out = Path(self.tmp.name, "models", "model.joblib")

    def tearDown(self) -> None:
        self.tmp.cleanup()

    def test_fetch_with_token_and_checksum(self) -> None:
        code, answer, _ = run_cli("fetch", "--url", self.url, "--sha256", self.sha, "--out", str(self.out), env={"KUBESERVE_MODEL_TOKEN": TOKEN})
        self.assertEqual(code, 0, answer)
        self.assertEqual(self.out.read_bytes(), _Artifacts.data)

    def test_without_the_token_or_with_a_wrong_checksum_nothing_is_written(self) -> None:
        code, answer, _ = run_cli("fetch", "--url", self.url, "--sha256", self.sha, "--out", str(self.out), env={"KUBESERVE_MODEL_TOKEN": ""})
        self.assertEqual(code, 1)
        self.assertIn("401", answer["error"])
        code, answer, _ = run_cli("fetch", "--url", self.url, "--sha256", "0" * 64, "--out", str(self.out), env={"KUBESERVE_MODEL_TOKEN": TOKEN})
        self.assertEqual(code, 1)
        self.assertIn("expected 0000", answer["error"])
        self.assertEqual(list(self.out.parent.iterdir()), [])

    def test_server_loads_an_http_model(self) -> None:
        env = {"KUBESERVE_MODEL_TOKEN": TOKEN, "KUBESERVE_MODEL_SHA256": self.sha, "KUBESERVE_MODEL_CACHE_DIR": self.tmp.name}
        with Server(self.url, "--name", "iris", env=env) as server:
            status, answer = server.json("POST", "/predict", {"instances": [[6.8, 3.0, 5.5, 2.1]]})
            self.assertEqual(status, 200, answer)
            self.assertEqual(len(answer["predictions"][0]), 3)
            server.stop()


if __name__ == "__main__":
    unittest.main()
