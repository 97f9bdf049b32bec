"""`inspect`: the signature and metadata every fixture gets at upload, and the sandbox's limits."""

from __future__ import annotations

import os
import tempfile
import unittest
from pathlib import Path

from .helpers import MODELS, model_path, run_cli, samples


class InspectTest(unittest.TestCase):
    def test_every_fixture_gets_the_onnx_signature_shape(self) -> None:
        for name in MODELS:
            with self.subTest(name):
                code, answer, _ = run_cli("inspect", str(model_path(name)))
                self.assertEqual(code, 0, answer)
                expected = samples(name)
                width = len(expected["inputs"][0])
                signature = answer["signature"]
                self.assertEqual(signature["inputs"], [{"name": "input", "datatype": "FP64", "shape": [-1, width], "dims": ["N", width]}])
                outputs = {o["name"]: o for o in signature["outputs"]}
                metadata = answer["metadata"]
                self.assertEqual(metadata["sklearnVersion"], "1.2.1")
                self.assertEqual(answer["warnings"], [])
                self.assertTrue(answer["networkIsolated"])
                if expected["task"] == "classification":
                    k = expected["classes"] if isinstance(expected["classes"], int) else len(expected["classes"])
                    self.assertEqual(outputs["predict"]["datatype"], "INT64")
                    self.assertEqual(outputs["predict_proba"]["shape"], [-1, k])
                    self.assertEqual(metadata["classes"], list(range(k)))
                    self.assertEqual((metadata["task"], metadata["v1Output"]), ("classification", "predict_proba"))
                else:
                    self.assertEqual(list(outputs), ["predict"])
                    self.assertEqual(outputs["predict"]["datatype"], "FP64")
                    self.assertEqual((metadata["task"], metadata["v1Output"]), ("regression", "predict"))

    def test_a_model_saved_with_another_sklearn_version_gets_a_warning(self) -> None:
        data = model_path("iris-logreg").read_bytes()
        self.assertEqual(data.count(b"1.2.1"), 1)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp, "old.joblib")
            path.write_bytes(data.replace(b"1.2.1", b"1.0.2"))
            code, answer, _ = run_cli("inspect", str(path))
            self.assertEqual(code, 0, answer)
            self.assertEqual(answer["metadata"]["sklearnVersion"], "1.0.2")
            self.assertIn("saved with scikit-learn 1.0.2, the runtime has 1.2.1", answer["warnings"][0])

    @unittest.skipUnless(os.getuid() == 0, "needs root: there is no uid to drop to otherwise")
    def test_as_root_the_load_runs_as_the_sandbox_uid(self) -> None:
        code, answer, _ = run_cli("inspect", str(model_path("iris-logreg")), env={"KUBESERVE_SANDBOX_UID": "1600000000"})
        self.assertEqual(code, 0, answer)
        self.assertEqual(answer["sandboxUid"], 1600000000)
        code, answer, _ = run_cli("inspect", str(model_path("iris-logreg")))
        self.assertEqual(answer["sandboxUid"], 0)

    def test_the_child_runs_under_the_limits(self) -> None:
        path = str(model_path("mlp-64"))
        code, answer, _ = run_cli("inspect", path, "--memory-bytes", str(64 << 20))
        self.assertEqual(code, 1, answer)
        self.assertEqual(answer["stage"], "load")
        code, answer, _ = run_cli("inspect", path, "--timeout", "0.2")
        self.assertEqual(code, 1, answer)
        self.assertIn("longer than 0.2 s", answer["error"])


if __name__ == "__main__":
    unittest.main()
