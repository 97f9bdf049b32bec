"""LoadedModel.run: one forward pass for predict + predict_proba, exactly what predict() gives."""

from __future__ import annotations

import threading
import unittest

import numpy as np

from kubeserve_sklearn.config import Config
from kubeserve_sklearn.model_runtime import label_from_proba, load_model

from .helpers import model_path, samples

BOTH = frozenset(("predict", "predict_proba"))


def _load(name: str):  # type: ignore[no-untyped-def]
    return load_model(Config(model=str(model_path(name)), name="m"))


class DerivedPredictTest(unittest.TestCase):
    def test_labels_equal_predict_on_the_samples_and_random_rows(self) -> None:
        rng = np.random.RandomState(7)
        for name in ("iris-logreg", "mlp-64"):
            with self.subTest(model=name):
                model = _load(name)
                self.assertIsNotNone(model.argmax_classes)
                inputs = np.asarray(samples(name)["inputs"], dtype=np.float64)
                result = model.run(inputs, BOTH)
                self.assertEqual(result["predict"].tolist(), samples(name)["predict"])
                rows = rng.randn(3000, inputs.shape[1]) * inputs.std(0) * 3 + inputs.mean(0)
                result = model.run(rows, BOTH)
                expected = model.estimator.predict(rows)
                self.assertEqual(result["predict"].dtype, expected.dtype)
                self.assertTrue(np.array_equal(result["predict"], expected))
                self.assertTrue(np.array_equal(result["predict_proba"], model.estimator.predict_proba(rows)))

    def test_a_tie_leaves_the_label_to_predict(self) -> None:
        classes = np.array([3, 5, 9])
        self.assertIsNone(label_from_proba(np.array([[0.4, 0.4, 0.2], [0.1, 0.2, 0.7]]), classes))
        self.assertEqual(label_from_proba(np.array([[0.5, 0.4, 0.1], [0.1, 0.2, 0.7]]), classes).tolist(), [3, 9])
        model = _load("iris-logreg")
        model.estimator.coef_ = np.zeros_like(model.estimator.coef_)
        model.estimator.intercept_ = np.zeros_like(model.estimator.intercept_)
        rows = np.asarray(samples("iris-logreg")["inputs"], dtype=np.float64)
        self.assertEqual(model.run(rows, BOTH)["predict"].tolist(), model.estimator.predict(rows).tolist())

    def test_a_regressor_runs_predict_only(self) -> None:
        model = _load("regression")
        self.assertIsNone(model.argmax_classes)
        inputs = np.asarray(samples("regression")["inputs"], dtype=np.float64)
        result = model.run(inputs, frozenset(("predict",)))
        self.assertEqual(list(result), ["predict"])
        self.assertTrue(np.allclose(result["predict"], samples("regression")["predict"], atol=1e-6))

    def test_every_thread_that_runs_the_model_skips_sklearns_repeated_finite_check(self) -> None:
        import sklearn

        model = _load("iris-logreg")
        seen: list[bool] = []

        def run() -> None:
            model.run(np.zeros((1, 4)), BOTH)
            seen.append(sklearn.get_config()["assume_finite"])

        thread = threading.Thread(target=run)
        thread.start()
        thread.join()
        self.assertEqual(seen, [True])


if __name__ == "__main__":
    unittest.main()
