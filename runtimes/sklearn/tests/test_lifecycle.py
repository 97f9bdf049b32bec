"""The process: listening line, exit codes, refusing hostile files at start, SIGTERM drain, workers."""

from __future__ import annotations

import json
import os
import pickle
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest
from pathlib import Path

import numpy as np

from .helpers import PYTHON, RUNTIME, Server, encode_binary, model_path
from .test_batching import metric
from .test_pickle_scan import _Evil


def run_server(*flags: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "-m", "kubeserve_sklearn", "--host", "127.0.0.1", "--port", "0", *flags],
        cwd=RUNTIME,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


class LifecycleTest(unittest.TestCase):
    def test_invalid_configuration_exits_2_naming_the_variable(self) -> None:
        cases = [
            (["--model", "x.joblib", "--port", "70000"], {}, "KUBESERVE_PORT (--port)"),
            (["--model", "x.joblib"], {"KUBESERVE_AUTH_TOKEN": "short"}, "KUBESERVE_AUTH_TOKEN (--auth-token)"),
            (["--model", "x.joblib", "--batching", "maybe"], {}, "KUBESERVE_BATCHING (--batching)"),
            (["--model", "x.joblib", "--frobnicate", "1"], {}, "unknown option --frobnicate"),
            ([], {"KUBESERVE_MODEL": ""}, "KUBESERVE_MODEL (--model)"),
        ]
        for flags, env, message in cases:
            with self.subTest(message):
                done = run_server(*flags, env=env)
                self.assertEqual(done.returncode, 2, done.stderr)
                self.assertIn(message, done.stderr)

    def test_model_that_cannot_serve_exits_1_and_hostile_files_never_run(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            marker = Path(tmp, "marker")
            evil = Path(tmp, "evil.joblib")
            evil.write_bytes(pickle.dumps(_Evil(str(marker)), protocol=4))
            cases = [
                (str(evil), "posix.system"),
                (str(Path(tmp, "missing.joblib")), "cannot read"),
                (str(Path(tmp, "cut.joblib")), "truncated"),
            ]
            Path(tmp, "cut.joblib").write_bytes(model_path("iris-logreg").read_bytes()[:300])
            for path, message in cases:
                with self.subTest(message):
                    done = run_server("--model", path)
                    self.assertEqual(done.returncode, 1, done.stdout + done.stderr)
                    lines = [json.loads(line) for line in done.stdout.splitlines()]
                    self.assertEqual(lines[0]["msg"], "listening")
                    failure = next(line for line in lines if line["msg"] == "model failed to load")
                    self.assertIn(message, failure["error"])
            self.assertFalse(marker.exists())

    def test_allowed_global_from_a_package_that_is_not_installed_exits_1_with_the_import_error(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp, "needs-package.pkl")
            path.write_bytes(b"\x80\x02ckubeserve_missing_pkg\nThing\n)\x81.")
            done = run_server("--model", str(path), env={"KUBESERVE_PICKLE_ALLOW": "kubeserve_missing_pkg.Thing"})
            self.assertEqual(done.returncode, 1, done.stdout + done.stderr)
            self.assertIn("No module named 'kubeserve_missing_pkg'", done.stdout)
            done = run_server("--model", str(path))
            self.assertEqual(done.returncode, 1)
            self.assertIn("not allowed: kubeserve_missing_pkg.Thing", done.stdout)

    def test_workers_die_with_a_killed_supervisor(self) -> None:
        server = Server(model_path("iris-logreg"), "--workers", "2")
        server.wait_for_line('"msg":"model ready"', 2)
        pids = {json.loads(line)["pid"] for line in server.lines if '"model ready"' in line}
        self.assertEqual(server.stop(signal.SIGKILL), -signal.SIGKILL)
        deadline = time.monotonic() + 30
        while pids and time.monotonic() < deadline:
            pids = {pid for pid in pids if Path(f"/proc/{pid}").exists() and "zombie" not in Path(f"/proc/{pid}/status").read_text()}
            time.sleep(0.1)
        self.assertEqual(pids, set())

    def test_listening_first_then_live_before_ready(self) -> None:
        with Server(model_path("mlp-wide"), wait_ready=False) as server:
            first = json.loads(server.lines[0])
            self.assertEqual((first["msg"], first["host"], first["port"]), ("listening", "127.0.0.1", server.port))
            self.assertEqual(first["url"], f"http://127.0.0.1:{server.port}")
            status, _, _ = server.request("GET", "/v2/health/live")
            self.assertEqual(status, 200)
            server.wait_ready()
            self.assertTrue(any('"msg":"model ready"' in line for line in server.lines))
            self.assertEqual(server.stop(), 0)

    def test_sigterm_drains_requests_in_flight_then_exits_0(self) -> None:
        rows = np.random.RandomState(4).rand(8000, 256).tolist()
        body, headers = encode_binary(rows, ["predict"])
        with Server(model_path("mlp-wide"), "--batching", "off", "--shutdown-timeout-ms", "60000") as server:
            results: list[int] = []
            lock = threading.Lock()

            def one() -> None:
                status, _, _ = server.request("POST", "/v2/models/mlp-wide/infer", body, headers, timeout=120)
                with lock:
                    results.append(status)

            threads = [threading.Thread(target=one) for _ in range(6)]
            for t in threads:
                t.start()
            time.sleep(0.3)
            server.proc.send_signal(signal.SIGTERM)
            with lock:
                answered_before_signal = len(results)
            self.assertLess(answered_before_signal, 6, "nothing was in flight at SIGTERM")
            for t in threads:
                t.join(120)
            code = server.stop()
            self.assertEqual(code, 0)
            self.assertEqual(results, [200] * 6)
            self.assertTrue(any('"msg":"shutting down"' in line for line in server.lines))
            with self.assertRaises(OSError):
                socket.create_connection(("127.0.0.1", server.port), timeout=2).close()

    def test_two_workers_share_the_port_and_add_their_metrics_up(self) -> None:
        with Server(model_path("iris-logreg"), "--workers", "2", "--name", "iris") as server:
            server.wait_for_line('"msg":"model ready"', 2)
            for _ in range(40):
                self.assertEqual(server.request("POST", "/predict", {"instances": [[1, 2, 3, 4], [2, 3, 4, 5]]})[0], 200)
            _, _, text = server.request("GET", "/metrics")
            text = text.decode()
            self.assertEqual(metric(text, "predictions_total"), 80)
            self.assertRegex(text, r'model_ready\{deployment="",model="iris",version="1"\} 1.0')
            self.assertEqual(len(set(json.loads(line)["pid"] for line in server.lines if '"model ready"' in line)), 2)
            self.assertEqual(server.stop(), 0)


if __name__ == "__main__":
    unittest.main()
