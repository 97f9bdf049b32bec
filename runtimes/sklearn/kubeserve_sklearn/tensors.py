"""Request rows → validated float64 arrays; every error is a 400 naming the input."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

INPUT = "input"
_FLOAT_TYPES = {"FP64": "<f8", "FP32": "<f4"}


class BadRequest(Exception):
    status = 400

    def __init__(self, message: str, status: int = 400, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.headers = headers or {}


def _refuse_constant(name: str) -> float:
    raise BadRequest(f"JSON has no {name}: send finite numbers")


def fmt_shape(shape: Any) -> str:
    return "[" + ",".join(str(d) for d in shape) + "]"


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, str):
        return f"the string {value[:40]!r}"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return "a number"


def _first_bad(values: Any, path: list[int]) -> tuple[list[int], Any] | None:
    if isinstance(values, list):
        for i, v in enumerate(values):
            found = _first_bad(v, [*path, i])
            if found:
                return found
        return None
    if isinstance(values, bool) or not isinstance(values, (int, float)):
        return path, values
    if isinstance(values, float) and not math.isfinite(values):
        return path, values
    return None


def _explain_bad(data: Any, where: str) -> BadRequest:
    found = _first_bad(data, [])
    if found is None:
        return BadRequest(f"{where}: rows have different lengths")
    path, value = found
    at = "".join(f"[{i}]" for i in path)
    if isinstance(value, float):
        return BadRequest(f"{where}: all values must be finite numbers, got {value} at {at}")
    return BadRequest(f"{where}: element {at} must be a number (FP64), got {_describe(value)}")


def to_array(data: Any, where: str, may_hold_literals: bool) -> np.ndarray:
    """np.array with numpy's inference, then checks: numbers only (no strings, booleans, null)."""
    if may_hold_literals:
        bad = _first_bad(data, [])
        if bad is not None:
            raise _explain_bad(data, where)
    try:
        array = np.array(data)
    except (ValueError, TypeError):
        raise _explain_bad(data, where) from None
    if array.dtype.kind not in "iuf":
        raise _explain_bad(data, where)
    if array.dtype.kind != "f":
        return array.astype(np.float64)
    if array.dtype != np.float64:
        array = array.astype(np.float64)
    if not np.isfinite(array).all():
        raise BadRequest(f"{where}: all values must be finite numbers, got NaN or Infinity")
    return array


def check_rows(array: np.ndarray, n_features: int) -> np.ndarray:
    if array.ndim != 2 or array.shape[1] != n_features:
        raise BadRequest(
            f"input '{INPUT}': expected shape [-1,{n_features}] (-1 = any), got {fmt_shape(array.shape)}"
        )
    if array.shape[0] == 0:
        raise BadRequest(f"input '{INPUT}': at least one row is needed")
    return array


def parse_json(body: bytes) -> Any:
    import json

    try:
        return json.loads(body, parse_constant=_refuse_constant)
    except BadRequest:
        raise
    except (ValueError, UnicodeDecodeError) as error:
        raise BadRequest(f"the body is not valid JSON: {error}") from None


def has_literals(body: bytes | memoryview) -> bool:
    """true/false/null anywhere: numpy would turn them into numbers, so check element by element."""
    raw = bytes(body)
    # true has an r, false and null an l: two memchr scans clear most bodies (~0.3 vs ~25 us for 22 KB)
    if b"r" not in raw and b"l" not in raw:
        return False
    return b"true" in raw or b"false" in raw or b"null" in raw


def read_v1_rows(body: bytes, n_features: int) -> np.ndarray:
    root = parse_json(body)
    if not isinstance(root, dict):
        raise BadRequest("the request body must be a JSON object")
    field = "instances" if "instances" in root else "inputs"
    rows = root.get(field)
    if rows is None:
        raise BadRequest("the body needs 'instances': [[...], ...]")
    if not isinstance(rows, list):
        raise BadRequest(f"'{field}' must be an array of rows, got {_describe(rows)}")
    if not rows:
        raise BadRequest(f"'{field}' must contain at least one row")
    return check_rows(to_array(rows, f"input '{INPUT}'", has_literals(body)), n_features)


def read_binary_rows(raw: memoryview, datatype: str, shape: list[int], n_features: int) -> np.ndarray:
    dtype = np.dtype(_FLOAT_TYPES[datatype])
    count = math.prod(shape)
    if len(raw) != count * dtype.itemsize:
        raise BadRequest(
            f"input '{INPUT}': shape {fmt_shape(shape)} of {datatype} needs {count * dtype.itemsize} bytes, binary_data_size is {len(raw)}"
        )
    array = np.frombuffer(raw, dtype=dtype).astype(np.float64).reshape(shape)
    if not np.isfinite(array).all():
        raise BadRequest(f"input '{INPUT}': all values must be finite numbers, got NaN or Infinity")
    return check_rows(array, n_features)


def check_datatype(datatype: Any) -> str:
    if datatype not in _FLOAT_TYPES:
        raise BadRequest(f"input '{INPUT}': expected datatype FP64 (or FP32), got {_describe_type(datatype)}")
    return str(datatype)


def _describe_type(value: Any) -> str:
    import json

    return json.dumps(value) if isinstance(value, (str, int, float, bool)) or value is None else _describe(value)


def check_shape(shape: Any, n_features: int) -> list[int]:
    if not isinstance(shape, list) or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape):
        raise BadRequest(f"input '{INPUT}': 'shape' must be an array of non-negative integers")
    if len(shape) != 2 or shape[1] != n_features:
        raise BadRequest(f"input '{INPUT}': expected shape [-1,{n_features}] (-1 = any), got {fmt_shape(shape)}")
    return shape
