"""Fetch (local path or http(s) with a bearer token), scan, load and warm up the estimator."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from .allowlist import load_allowlist
from .config import Config
from .estimator import EstimatorInfo, describe_estimator
from .fetch import FetchError, fetch_to
from .pickle_scan import scan_stream
from .pickle_source import ScanError
from .protocol import ModelSpec, OutputSpec


class ModelLoadError(Exception):
    pass


# Classifiers whose predict is classes_[argmax] of a monotone function of the scores predict_proba
# normalizes: a row whose probability maximum is unique has the same label, so one forward pass serves both.
ARGMAX_CLASSIFIERS = frozenset(
    (
        "sklearn.linear_model._logistic.LogisticRegression",
        "sklearn.neural_network._multilayer_perceptron.MLPClassifier",
        "sklearn.ensemble._forest.RandomForestClassifier",
        "sklearn.ensemble._forest.ExtraTreesClassifier",
        "sklearn.tree._classes.DecisionTreeClassifier",
    )
)
_thread = threading.local()


def _assume_finite_here() -> None:
    """Every input was checked finite by the protocol layer; sklearn's own check would repeat it per call.

    sklearn's configuration is per thread, so each thread that runs the model sets it once.
    """
    import sklearn

    sklearn.set_config(assume_finite=True)
    _thread.is_configured = True


def label_from_proba(proba: np.ndarray, classes: np.ndarray) -> np.ndarray | None:
    """classes_[argmax] when every row's maximum is unique; None on a tie (predict() then decides)."""
    top = proba.max(axis=1, keepdims=True)
    if np.count_nonzero(proba == top) != proba.shape[0]:
        return None
    return classes.take(proba.argmax(axis=1))


@dataclass
class LoadedModel:
    spec: ModelSpec
    info: EstimatorInfo
    estimator: Any
    load_seconds: float
    saved_sklearn_versions: list[str]
    argmax_classes: np.ndarray | None = None

    def __post_init__(self) -> None:
        classes = getattr(self.estimator, "classes_", None)
        info = self.info
        if (
            info.estimator in ARGMAX_CLASSIFIERS
            and info.has_proba
            and info.predict_width is None
            and isinstance(classes, np.ndarray)
            and classes.ndim == 1
            and info.proba_width == classes.shape[0]
        ):
            self.argmax_classes = classes

    def run(self, rows: np.ndarray, outputs: frozenset[str]) -> dict[str, np.ndarray]:
        if not getattr(_thread, "is_configured", False):
            _assume_finite_here()
        result: dict[str, np.ndarray] = {}
        if "predict_proba" in outputs:
            proba = np.asarray(self.estimator.predict_proba(rows), dtype=np.float64)
            result["predict_proba"] = proba
            if "predict" in outputs:
                label = None if self.argmax_classes is None else label_from_proba(proba, self.argmax_classes)
                result["predict"] = np.asarray(self.estimator.predict(rows)) if label is None else label
        elif "predict" in outputs:
            result["predict"] = np.asarray(self.estimator.predict(rows))
        return result


def _sha256_of(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _download(config: Config) -> str:
    if not config.sha256:
        raise ModelLoadError("an http(s) model needs KUBESERVE_MODEL_SHA256 (--sha256)")
    target = os.path.join(config.cache_dir, "sha256", config.sha256)
    if os.path.isfile(target) and _sha256_of(target) == config.sha256:
        return target
    try:
        fetch_to(config.model, config.sha256, target, config.model_token)
    except FetchError as error:
        raise ModelLoadError(str(error)) from error
    return target


def resolve_model(config: Config) -> str:
    if config.model.startswith(("http://", "https://")):
        return _download(config)
    if config.model.startswith("s3://"):
        raise ModelLoadError(
            "s3:// models are not fetched by the sklearn runtime: fetch them first (the platform's init container)"
        )
    if config.sha256 and _sha256_of(config.model) != config.sha256:
        raise ModelLoadError(f"{config.model} does not match KUBESERVE_MODEL_SHA256")
    return config.model


def load_model(config: Config) -> LoadedModel:
    """Scan first; the same open file is then unpickled, so what was scanned is what loads."""
    import joblib

    started = time.perf_counter()
    try:
        path = resolve_model(config)
        allowlist = load_allowlist(
            config.pickle_allow.split(","), [config.pickle_allow_file] if config.pickle_allow_file else []
        )
        with open(path, "rb") as handle:
            try:
                scan = scan_stream(handle, allowlist, config.scan_max_bytes)
            except ScanError as error:
                raise ModelLoadError(f"the model file cannot be scanned: {error}") from error
            if not scan.ok:
                raise ModelLoadError(f"the model imports globals that are not allowed: {', '.join(scan.refused)}")
            handle.seek(0)
            try:
                estimator = joblib.load(handle)
            except Exception as error:  # noqa: BLE001 - e.g. a module missing from requirements.txt
                raise ModelLoadError(f"loading the model failed: {type(error).__name__}: {error}") from error
    except OSError as error:
        raise ModelLoadError(f"cannot read {config.model}: {error}") from error
    try:
        info = describe_estimator(estimator)
    except Exception as error:  # noqa: BLE001 - not an estimator, or the warm-up row failed
        raise ModelLoadError(f"the model cannot serve: {error}") from error
    outputs = [OutputSpec("predict", info.predict_datatype, info.predict_width)]
    if info.has_proba:
        outputs.append(OutputSpec("predict_proba", "FP64", info.proba_width))
    v1 = config.v1_output or ("predict_proba" if info.has_proba else "predict")
    if v1 == "predict_proba" and not info.has_proba:
        raise ModelLoadError("KUBESERVE_V1_OUTPUT=predict_proba, but the estimator has no predict_proba")
    spec = ModelSpec(config.name, config.version, info.n_features, tuple(outputs), v1)
    model = LoadedModel(spec, info, estimator, 0.0, scan.sklearn_versions)
    model.run(np.zeros((1, info.n_features)), frozenset(o.name for o in outputs))
    model.load_seconds = time.perf_counter() - started
    return model
