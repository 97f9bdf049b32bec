"""STAND-IN for `onnxruntime` (tests/standins/README.md): MatMul, Add and Sigmoid graphs, with numpy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import onnx
from onnx import numpy_helper

_TYPES = {1: "tensor(float)", 11: "tensor(double)", 7: "tensor(int64)", 9: "tensor(bool)"}


@dataclass
class NodeArg:
    name: str
    type: str
    shape: list[Any]


def _arg(value: Any) -> NodeArg:
    tensor = value.type.tensor_type
    dims = [d.dim_value if d.HasField("dim_value") else (d.dim_param or None) for d in tensor.shape.dim]
    return NodeArg(value.name, _TYPES.get(tensor.elem_type, f"tensor({tensor.elem_type})"), dims)


class InferenceSession:
    def __init__(self, path: str, providers: list[str] | None = None) -> None:
        self.model = onnx.load(path)
        onnx.checker.check_model(self.model)
        self.weights = {t.name: numpy_helper.to_array(t) for t in self.model.graph.initializer}

    def get_inputs(self) -> list[NodeArg]:
        return [_arg(v) for v in self.model.graph.input if v.name not in self.weights]

    def get_outputs(self) -> list[NodeArg]:
        return [_arg(v) for v in self.model.graph.output]

    def run(self, names: list[str] | None, feed: dict[str, np.ndarray]) -> list[np.ndarray]:
        values = {**self.weights, **feed}
        for node in self.model.graph.node:
            a = [values[i] for i in node.input]
            if node.op_type == "MatMul":
                out = a[0] @ a[1]
            elif node.op_type == "Add":
                out = a[0] + a[1]
            elif node.op_type == "Sigmoid":
                out = 1.0 / (1.0 + np.exp(-a[0]))
            else:
                raise NotImplementedError(f"the onnxruntime stand-in has no {node.op_type}")
            values[node.output[0]] = out
        return [values[n] for n in (names or [o.name for o in self.model.graph.output])]
