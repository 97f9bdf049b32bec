"""Open Inference Protocol V2 (JSON + binary tensor extension) and V1 bodies for one estimator."""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass
from typing import Any

import numpy as np

from .jsonfast import dumps
from .tensors import (
    INPUT,
    BadRequest,
    check_datatype,
    check_rows,
    check_shape,
    has_literals,
    parse_json,
    read_binary_rows,
    read_v1_rows,
    to_array,
)


@dataclass(frozen=True)
class OutputSpec:
    name: str
    datatype: str
    width: int | None


@dataclass
class V2Request:
    id: str | None
    rows: np.ndarray
    outputs: list[tuple[OutputSpec, bool]]  # (output, as binary)


@dataclass(frozen=True)
class ModelSpec:
    name: str
    version: str
    n_features: int
    outputs: tuple[OutputSpec, ...]
    v1_output: str

    def output(self, name: str) -> OutputSpec | None:
        return next((o for o in self.outputs if o.name == name), None)


def _flag(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise BadRequest(f"{where} must be true or false")
    return value


def _read_outputs(spec: ModelSpec, value: Any, is_binary_default: bool) -> list[tuple[OutputSpec, bool]]:
    if value is None:
        return [(o, is_binary_default) for o in spec.outputs]
    if not isinstance(value, list) or not value:
        raise BadRequest("'outputs' must be a non-empty array of {name}")
    chosen: list[tuple[OutputSpec, bool]] = []
    seen: set[str] = set()
    for i, item in enumerate(value):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise BadRequest(f"outputs[{i}] must be an object with a string 'name'")
        out = spec.output(item["name"])
        if out is None:
            names = ", ".join(o.name for o in spec.outputs)
            raise BadRequest(f"unknown output '{item['name']}'; the model's outputs are: {names}")
        if out.name in seen:
            raise BadRequest(f"output '{out.name}' is requested twice")
        seen.add(out.name)
        is_binary = is_binary_default
        params = item.get("parameters")
        if params is not None:
            if not isinstance(params, dict):
                raise BadRequest(f"outputs[{i}].parameters must be an object")
            if "binary_data" in params:
                is_binary = _flag(params["binary_data"], f"outputs[{i}].parameters.binary_data")
        chosen.append((out, is_binary))
    return chosen


def _read_input(spec: ModelSpec, item: dict[str, Any], binary: memoryview, offset: int, body: bytes) -> tuple[np.ndarray, int]:
    datatype = check_datatype(item.get("datatype"))
    shape = check_shape(item.get("shape"), spec.n_features)
    params = item.get("parameters")
    size = None
    if params is not None:
        if not isinstance(params, dict):
            raise BadRequest(f"input '{INPUT}': 'parameters' must be an object")
        size = params.get("binary_data_size")
        if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 0):
            raise BadRequest(f"input '{INPUT}': 'binary_data_size' must be a non-negative integer")
    if size is not None:
        if "data" in item:
            raise BadRequest(f"input '{INPUT}': has both 'data' and binary_data_size")
        if offset + size > len(binary):
            raise BadRequest(f"input '{INPUT}': binary_data_size {size} runs past the end of the binary data")
        return read_binary_rows(binary[offset : offset + size], datatype, shape, spec.n_features), offset + size
    if "data" not in item:
        raise BadRequest(f"input '{INPUT}': 'data' is missing")
    data = item["data"]
    if not isinstance(data, list):
        raise BadRequest(f"input '{INPUT}': data must be an array")
    array = to_array(data, f"input '{INPUT}'", has_literals(body))
    count = math.prod(shape)
    if array.size != count:
        raise BadRequest(f"input '{INPUT}': shape {shape_text(shape)} needs {count} elements, data has {array.size}")
    return check_rows(array.reshape(shape), spec.n_features), offset


def shape_text(shape: list[int]) -> str:
    return "[" + ",".join(map(str, shape)) + "]"


def parse_v2(spec: ModelSpec, body: bytes, header_length: int | None) -> V2Request:
    if header_length is not None and header_length > len(body):
        raise BadRequest(
            f"Inference-Header-Content-Length {header_length} is larger than the body ({len(body)} bytes)"
        )
    view = memoryview(body)
    head = body if header_length is None else bytes(view[:header_length])
    binary = view[len(body) :] if header_length is None else view[header_length:]
    root = parse_json(head)
    if not isinstance(root, dict):
        raise BadRequest("the request body must be a JSON object")
    rid = root.get("id")
    if rid is not None and not isinstance(rid, str):
        raise BadRequest("'id' must be a string")
    is_binary_default = False
    params = root.get("parameters")
    if params is not None:
        if not isinstance(params, dict):
            raise BadRequest("'parameters' must be an object")
        if "binary_data_output" in params:
            is_binary_default = _flag(params["binary_data_output"], "parameters.binary_data_output")
    inputs = root.get("inputs")
    if not isinstance(inputs, list) or not inputs:
        raise BadRequest("'inputs' must be a non-empty array of {name, shape, datatype, data}")
    rows = None
    offset = 0
    for i, item in enumerate(inputs):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise BadRequest(f"inputs[{i}] must be an object with a string 'name'")
        if item["name"] != INPUT:
            raise BadRequest(f"unknown input '{item['name']}'; the model's inputs are: {INPUT}")
        if rows is not None:
            raise BadRequest(f"input '{INPUT}' is given twice")
        rows, offset = _read_input(spec, item, binary, offset, head)
    if offset != len(binary):
        raise BadRequest(
            f"the binary data has {len(binary)} bytes but the inputs' binary_data_size add up to {offset}"
        )
    assert rows is not None
    return V2Request(rid, rows, _read_outputs(spec, root.get("outputs"), is_binary_default))


def parse_v1(spec: ModelSpec, body: bytes) -> np.ndarray:
    return read_v1_rows(body, spec.n_features)


def _json_values(array: np.ndarray) -> str:
    """Flat JSON numbers; NaN/Infinity become the strings the protocol's tensor_data allows."""
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        values = ["NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity") if math.isinf(v) else v for v in array.ravel().tolist()]
        return dumps(values)
    if array.dtype.kind in "OUS":
        return dumps([str(v) for v in array.ravel().tolist()])
    return dumps(array.ravel().tolist())


def _tensor_bytes(array: np.ndarray, datatype: str) -> bytes:
    if datatype == "BYTES":
        parts = []
        for value in array.ravel().tolist():
            encoded = str(value).encode("utf-8")
            parts.append(struct.pack("<I", len(encoded)) + encoded)
        return b"".join(parts)
    dtype = {"FP64": "<f8", "INT64": "<i8", "BOOL": "|b1"}[datatype]
    return np.ascontiguousarray(array, dtype=dtype).tobytes()


def build_v2(prefix: str, request: V2Request, result: dict[str, np.ndarray]) -> tuple[bytes, int | None]:
    """(body, header length when binary outputs follow the JSON header)."""
    parts = [prefix]
    if request.id is not None:
        parts.append(',"id":' + dumps(request.id))
    parts.append(',"outputs":[')
    blobs: list[bytes] = []
    for i, (out, is_binary) in enumerate(request.outputs):
        array = result[out.name]
        if i:
            parts.append(",")
        parts.append(f'{{"name":"{out.name}","datatype":"{out.datatype}","shape":{shape_text(list(array.shape))}')
        if is_binary:
            blob = _tensor_bytes(array, out.datatype)
            blobs.append(blob)
            parts.append(f',"parameters":{{"binary_data_size":{len(blob)}}}}}')
        else:
            parts.append(',"data":' + _json_values(array) + "}")
    parts.append("]}")
    header = "".join(parts).encode("utf-8")
    if not blobs:
        return header, None
    return header + b"".join(blobs), len(header)


def build_v1(array: np.ndarray) -> bytes:
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        values: Any = json.loads(_json_values(array))
        if array.ndim == 2:
            width = array.shape[1]
            values = [values[i : i + width] for i in range(0, len(values), width)]
        return b'{"predictions":' + dumps(values).encode() + b"}"
    if array.dtype.kind in "OUS":
        return b'{"predictions":' + dumps([str(v) for v in array.tolist()]).encode() + b"}"
    return b'{"predictions":' + dumps(array.tolist()).encode() + b"}"
