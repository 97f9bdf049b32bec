"""Every fixture over V1, V2 JSON, V2 binary and the seed body equals scikit-learn's own outputs."""

from __future__ import annotations

import unittest

import numpy as np

from .helpers import MODELS, Server, decode_binary, encode_binary, model_path, samples

TOLERANCE = 1e-6


class ParityTest(unittest.TestCase):
    def check_model(self, name: str) -> None:
        expected = samples(name)
        rows = expected["inputs"]
        is_classifier = expected["task"] == "classification"
        v1_expected = np.asarray(expected["predict_proba"] if is_classifier else expected["predict"])
        with Server(model_path(name), "--name", name) as server:
            for path in ("/predict", f"/v1/models/{name}:predict"):
                status, answer = server.json("POST", path, {"instances": rows})
                self.assertEqual(status, 200, answer)
                np.testing.assert_allclose(np.asarray(answer["predictions"]), v1_expected, atol=TOLERANCE, rtol=0)
            status, answer = server.json("POST", f"/v1/models/{name}:predict", {"inputs": rows})
            self.assertEqual(status, 200, answer)
            body = {"id": "r1", "inputs": [{"name": "input", "shape": [len(rows), len(rows[0])], "datatype": "FP64", "data": rows}]}
            status, answer = server.json("POST", f"/v2/models/{name}/infer", body)
            self.assertEqual(status, 200, answer)
            self.assertEqual((answer["model_name"], answer["model_version"], answer["id"]), (name, "1", "r1"))
            outputs = {o["name"]: o for o in answer["outputs"]}
            self.assertEqual(sorted(outputs), ["predict", "predict_proba"] if is_classifier else ["predict"])
            np.testing.assert_allclose(outputs["predict"]["data"], expected["predict"], atol=TOLERANCE, rtol=0)
            if is_classifier:
                proba = np.asarray(outputs["predict_proba"]["data"]).reshape(outputs["predict_proba"]["shape"])
                np.testing.assert_allclose(proba, expected["predict_proba"], atol=TOLERANCE, rtol=0)
                self.assertEqual(outputs["predict"]["datatype"], "INT64")
            # flat data, the versioned path, FP32 rows (the fixtures' values are exact in float32)
            flat = {"inputs": [{"name": "input", "shape": [len(rows), len(rows[0])], "datatype": "FP32", "data": sum(rows, [])}]}
            status, answer = server.json("POST", f"/v2/models/{name}/versions/1/infer", flat)
            self.assertEqual(status, 200, answer)
            np.testing.assert_allclose(answer["outputs"][0]["data"], expected["predict"], atol=TOLERANCE, rtol=0)
            wanted = ["predict_proba", "predict"] if is_classifier else ["predict"]
            for dtype in ("<f8", "<f4"):
                payload, headers = encode_binary(rows, wanted, dtype)
                status, reply_headers, data = server.request("POST", f"/v2/models/{name}/infer", payload, headers)
                self.assertEqual(status, 200, data[:300])
                self.assertEqual(reply_headers["content-type"], "application/octet-stream")
                decoded = decode_binary(reply_headers, data)
                self.assertEqual(list(decoded), wanted)
                np.testing.assert_allclose(decoded["predict"], expected["predict"], atol=TOLERANCE, rtol=0)
                if is_classifier:
                    np.testing.assert_allclose(decoded["predict_proba"], expected["predict_proba"], atol=TOLERANCE, rtol=0)
            self.assertEqual(server.stop(), 0)

    def test_iris_logreg(self) -> None:
        self.check_model("iris-logreg")

    def test_regression(self) -> None:
        self.check_model("regression")

    def test_mlp_64(self) -> None:
        self.check_model("mlp-64")

    def test_mlp_wide(self) -> None:
        self.check_model("mlp-wide")

    def test_models_covered(self) -> None:
        self.assertEqual(set(MODELS), {"iris-logreg", "regression", "mlp-64", "mlp-wide"})


if __name__ == "__main__":
    unittest.main()
