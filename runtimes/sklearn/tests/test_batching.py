"""Batching correctness under 200 concurrent mixed-size requests, and the queue bounds."""

from __future__ import annotations

import json
import re
import threading
import unittest
from concurrent.futures import ThreadPoolExecutor

import joblib
import numpy as np

from .helpers import Server, model_path


def metric(text: str, name: str) -> float:
    values = [float(m.group(1)) for m in re.finditer(rf"^{name}(?:\{{[^}}]*\}})? (\S+)$", text, re.M)]
    return sum(values)


def fire(server: Server, bodies: list[bytes], path: str = "/predict") -> list[tuple[int, dict[str, str], bytes]]:
    barrier = threading.Barrier(len(bodies))

    def one(body: bytes) -> tuple[int, dict[str, str], bytes]:
        barrier.wait()
        return server.request("POST", path, body, {"content-type": "application/json"}, timeout=120)

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(one, bodies))


class BatchingTest(unittest.TestCase):
    def test_200_concurrent_mixed_size_requests_get_their_own_rows(self) -> None:
        model = joblib.load(model_path("mlp-64"))
        rng = np.random.RandomState(1)
        batches = [rng.rand(int(rng.randint(1, 41)), 64) for _ in range(200)]
        bodies = [json.dumps({"instances": b.tolist()}).encode() for b in batches]
        with Server(model_path("mlp-64"), "--name", "mlp", "--max-batch-size", "32", "--max-queue-delay-ms", "2") as server:
            replies = fire(server, bodies)
            for batch, (status, _, data) in zip(batches, replies):
                self.assertEqual(status, 200, data[:200])
                got = np.asarray(json.loads(data)["predictions"])
                np.testing.assert_allclose(got, model.predict_proba(batch), atol=1e-9, rtol=0)
            _, _, text = server.request("GET", "/metrics")
            text = text.decode()
            runs = metric(text, "batch_size_count")
            self.assertEqual(metric(text, "batch_size_sum"), sum(len(b) for b in batches))
            self.assertLess(runs, 200, "no requests were merged")
            self.assertEqual(metric(text, r"predictions_total"), sum(len(b) for b in batches))
            self.assertEqual(server.stop(), 0)

    def test_batching_off_runs_each_request_alone(self) -> None:
        bodies = [json.dumps({"instances": [[0.1] * 64] * 3}).encode() for _ in range(40)]
        with Server(model_path("mlp-64"), "--batching", "off") as server:
            self.assertTrue(all(status == 200 for status, _, _ in fire(server, bodies)))
            _, _, text = server.request("GET", "/metrics")
            self.assertEqual(metric(text.decode(), "batch_size_count"), 40)
            server.stop()

    def test_queue_bound_by_count_answers_503_with_retry_after(self) -> None:
        rows = np.random.RandomState(2).rand(64, 256)
        body = json.dumps({"instances": rows.tolist()}).encode()
        with Server(model_path("mlp-wide"), "--batching", "off", "--max-queue-size", "2") as server:
            replies = fire(server, [body] * 60)
            codes = [status for status, _, _ in replies]
            self.assertIn(503, codes)
            self.assertIn(200, codes)
            self.assertEqual(set(codes), {200, 503})
            for status, headers, data in replies:
                if status == 503:
                    self.assertEqual(headers["retry-after"], "1")
                    self.assertIn("queue is full", json.loads(data)["error"])
            _, _, text = server.request("GET", "/metrics")
            counted = re.search(r'^requests_total\{code="503",[^}]*protocol="predict"[^}]*\} (\S+)$', text.decode(), re.M)
            self.assertIsNotNone(counted)
            self.assertEqual(float(counted.group(1)), codes.count(503))
            server.stop()

    def test_queue_bound_by_bytes(self) -> None:
        rows = np.random.RandomState(3).rand(64, 256)
        body = json.dumps({"instances": rows.tolist()}).encode()
        self.assertGreater(len(body), 2048)
        with Server(model_path("mlp-wide"), "--batching", "off", "--max-queue-bytes", "2048") as server:
            codes = [status for status, _, _ in fire(server, [body] * 30)]
            self.assertIn(503, codes)
            self.assertIn(200, codes)
            # one request always fits an empty queue, whatever its size
            self.assertEqual(server.request("POST", "/predict", body)[0], 200)
            server.stop()


if __name__ == "__main__":
    unittest.main()
