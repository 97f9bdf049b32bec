"""What a loaded estimator offers: signature, metadata and the two prediction functions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np


class NotAnEstimatorError(ValueError):
    pass


@dataclass
class EstimatorInfo:
    estimator: str
    n_features: int
    feature_names: list[str] | None
    classes: list[Any] | None
    has_proba: bool
    predict_datatype: str
    predict_width: int | None
    proba_width: int | None
    sklearn_version: str | None
    runtime_sklearn_version: str


def _datatype_of(values: np.ndarray) -> str:
    if values.dtype.kind == "b":
        return "BOOL"
    if values.dtype.kind in "iu":
        return "INT64"
    if values.dtype.kind == "f":
        return "FP64"
    return "BYTES"


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def describe_estimator(model: Any) -> EstimatorInfo:
    """Reads the fitted attributes and runs one zero row to learn the output shapes."""
    import sklearn

    if not callable(getattr(model, "predict", None)):
        raise NotAnEstimatorError(
            f"the file holds a {type(model).__module__}.{type(model).__qualname__}, not an estimator with predict()"
        )
    n = getattr(model, "n_features_in_", None)
    if not isinstance(n, (int, np.integer)) or int(n) < 1:
        raise NotAnEstimatorError("the estimator has no n_features_in_: is it fitted (scikit-learn >= 1.0)?")
    n = int(n)
    names = getattr(model, "feature_names_in_", None)
    classes = getattr(model, "classes_", None)
    try:
        has_proba = callable(getattr(model, "predict_proba", None))
    except AttributeError:
        has_proba = False
    zeros = np.zeros((1, n), dtype=np.float64)
    predicted = np.asarray(model.predict(zeros))
    proba_width = None
    if has_proba:
        try:
            proba_width = int(np.asarray(model.predict_proba(zeros)).shape[1])
        except AttributeError:
            has_proba = False
    cls = type(model)
    return EstimatorInfo(
        estimator=f"{cls.__module__}.{cls.__qualname__}",
        n_features=n,
        feature_names=[str(x) for x in names] if names is not None else None,
        classes=[_plain(c) for c in classes] if isinstance(classes, np.ndarray) else None,
        has_proba=has_proba,
        predict_datatype=_datatype_of(predicted),
        predict_width=int(predicted.shape[1]) if predicted.ndim == 2 else None,
        proba_width=proba_width,
        sklearn_version=getattr(model, "_sklearn_version", None),
        runtime_sklearn_version=sklearn.__version__,
    )


def _tensor(name: str, datatype: str, width: int | None) -> dict[str, Any]:
    shape = [-1] if width is None else [-1, width]
    dims: list[Any] = ["N"] if width is None else ["N", width]
    return {"name": name, "datatype": datatype, "shape": shape, "dims": dims}


def build_signature(info: EstimatorInfo) -> dict[str, Any]:
    """The shape ONNX versions have; `dims` names the batch dimension symbolically."""
    outputs = [_tensor("predict", info.predict_datatype, info.predict_width)]
    if info.has_proba:
        outputs.append(_tensor("predict_proba", "FP64", info.proba_width))
    return {"inputs": [_tensor("input", "FP64", info.n_features)], "outputs": outputs}


def build_metadata(info: EstimatorInfo) -> dict[str, Any]:
    return {
        "estimator": info.estimator,
        "sklearnVersion": info.sklearn_version,
        "runtimeSklearnVersion": info.runtime_sklearn_version,
        "featureNames": info.feature_names,
        "classes": info.classes,
        "task": "classification" if info.classes is not None else "regression",
        "v1Output": "predict_proba" if info.has_proba else "predict",
    }


def v1_function(model: Any, info: EstimatorInfo) -> Callable[[np.ndarray], np.ndarray]:
    """One V1 contract on every runtime: predict_proba rows for classifiers, else predict."""
    return model.predict_proba if info.has_proba else model.predict
