"""Pickle safety scan: walks the opcodes with pickletools.genops and never unpickles.

The stack is replayed symbolically (literals, containers, globals, calls) so that STACK_GLOBAL
operands are known and joblib's NumpyArrayWrapper records are recognised exactly where
joblib.load would read raw array bytes (or a nested pickle for object arrays) from the stream.
"""

from __future__ import annotations

import pickletools
import re
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from .allowlist import Allowlist
from .pickle_source import BoundedSource, ScanError

WRAPPER = ("joblib.numpy_pickle", "NumpyArrayWrapper")
_RECONSTRUCTORS = {("copyreg", "_reconstructor"), ("copyreg", "__newobj__")}
_DTYPE_CODE = re.compile(r"^(b1|[iuf][1248]|f16|c(8|16|32)|O[48]|[Mm]8(\[\w+\])?|[USV]\d*)$")
_REFUSED_OPS = {
    "PERSID": "persistent ids",
    "BINPERSID": "persistent ids",
    "EXT1": "the copyreg extension registry",
    "EXT2": "the copyreg extension registry",
    "EXT4": "the copyreg extension registry",
    "NEXT_BUFFER": "out-of-band buffers",
    "READONLY_BUFFER": "out-of-band buffers",
}
_MAX_NESTING = 64


@dataclass(frozen=True)
class Global:
    module: str
    name: str

    @property
    def dotted(self) -> str:
        return f"{self.module}.{self.name}"


@dataclass(eq=False)
class Obj:
    """Result of calling a global (REDUCE, NEWOBJ, OBJ, INST); `cls` when it is known."""

    cls: Global | None
    args: Any = None
    state: dict[str, Any] = field(default_factory=dict)
    raw_state: Any = None


class _Mark:
    pass


MARK = _Mark()


@dataclass
class ScanResult:
    globals: list[str]
    refused: list[str]
    arrays: int
    compression: str
    sklearn_versions: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.refused


class _Machine:
    """One pickle stream (joblib object arrays hold nested ones)."""

    def __init__(self, source: BoundedSource, scan: "_Scan", depth: int) -> None:
        self.source = source
        self.scan = scan
        self.depth = depth
        self.stack: list[Any] = []
        self.memo: dict[int, Any] = {}

    def pop_mark(self) -> list[Any]:
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i] is MARK:
                items = self.stack[i + 1 :]
                del self.stack[i:]
                return items
        raise ScanError("malformed pickle: no MARK on the stack")

    def pop(self) -> Any:
        if not self.stack or self.stack[-1] is MARK:
            raise ScanError("malformed pickle: stack underflow")
        return self.stack.pop()

    def top(self) -> Any:
        if not self.stack:
            raise ScanError("malformed pickle: stack underflow")
        return self.stack[-1]

    def run(self) -> None:
        try:
            for opcode, arg, pos in pickletools.genops(self.source):
                if opcode.name == "STOP":
                    return
                self.step(opcode.name, arg, pos)
        except ValueError as error:
            raise ScanError(f"truncated or malformed pickle: {error}") from error
        raise ScanError("truncated pickle: no STOP opcode")

    def push_global(self, module: Any, name: Any, pos: int | None) -> None:
        if not isinstance(module, str) or not isinstance(name, str):
            raise ScanError(f"STACK_GLOBAL at {pos} with operands that are not plain strings")
        g = Global(module, name)
        self.scan.record(g)
        self.stack.append(g)

    def call(self, func: Any, args: Any) -> Obj:
        if isinstance(func, Global) and (func.module, func.name) in _RECONSTRUCTORS:
            first = args[0] if isinstance(args, tuple) and args else None
            return Obj(first if isinstance(first, Global) else None, args)
        return Obj(func if isinstance(func, Global) else None, args)

    def step(self, op: str, arg: Any, pos: int | None) -> None:
        s = self.stack
        if op in _REFUSED_OPS:
            raise ScanError(f"{op} at {pos}: {_REFUSED_OPS[op]} are not allowed")
        if op in ("PROTO", "FRAME"):
            return
        if op == "MARK":
            s.append(MARK)
        elif op == "POP":
            self.pop()
        elif op == "POP_MARK":
            self.pop_mark()
        elif op == "DUP":
            s.append(self.top())
        elif op in ("NONE", "NEWTRUE", "NEWFALSE"):
            s.append({"NONE": None, "NEWTRUE": True, "NEWFALSE": False}[op])
        elif op == "EMPTY_TUPLE":
            s.append(())
        elif op in ("TUPLE1", "TUPLE2", "TUPLE3"):
            n = int(op[-1])
            items = [self.pop() for _ in range(n)][::-1]
            s.append(tuple(items))
        elif op == "TUPLE":
            s.append(tuple(self.pop_mark()))
        elif op == "EMPTY_LIST":
            s.append([])
        elif op == "LIST":
            s.append(self.pop_mark())
        elif op == "APPEND":
            value = self.pop()
            self._extend(self.top(), [value])
        elif op == "APPENDS":
            items = self.pop_mark()
            self._extend(self.top(), items)
        elif op == "EMPTY_DICT":
            s.append({})
        elif op == "DICT":
            items = self.pop_mark()
            s.append(self._pairs(items))
        elif op == "SETITEM":
            value = self.pop()
            key = self.pop()
            self._setitems(self.top(), [key, value])
        elif op == "SETITEMS":
            items = self.pop_mark()
            self._setitems(self.top(), items)
        elif op in ("EMPTY_SET",):
            s.append([])
        elif op == "ADDITEMS":
            items = self.pop_mark()
            self._extend(self.top(), items)
        elif op == "FROZENSET":
            s.append(tuple(self.pop_mark()))
        elif op in ("GLOBAL", "INST"):
            module, _, name = str(arg).partition(" ")
            g = Global(module, name)
            self.scan.record(g)
            if op == "GLOBAL":
                s.append(g)
            else:
                s.append(Obj(g, tuple(self.pop_mark())))
        elif op == "STACK_GLOBAL":
            name = self.pop()
            module = self.pop()
            self.push_global(module, name, pos)
        elif op == "REDUCE":
            args = self.pop()
            func = self.pop()
            s.append(self.call(func, args))
        elif op == "NEWOBJ":
            args = self.pop()
            cls = self.pop()
            s.append(Obj(cls if isinstance(cls, Global) else None, args))
        elif op == "NEWOBJ_EX":
            self.pop()
            args = self.pop()
            cls = self.pop()
            s.append(Obj(cls if isinstance(cls, Global) else None, args))
        elif op == "OBJ":
            items = self.pop_mark()
            if not items:
                raise ScanError(f"malformed pickle: OBJ at {pos} without a class")
            cls = items[0]
            s.append(Obj(cls if isinstance(cls, Global) else None, tuple(items[1:])))
        elif op == "BUILD":
            state = self.pop()
            self.build(self.top(), state, pos)
        elif op in ("PUT", "BINPUT", "LONG_BINPUT"):
            self.memo[int(arg)] = self.top()
        elif op == "MEMOIZE":
            self.memo[len(self.memo)] = self.top()
        elif op in ("GET", "BINGET", "LONG_BINGET"):
            if int(arg) not in self.memo:
                raise ScanError(f"malformed pickle: memo key {arg} read before it was written")
            s.append(self.memo[int(arg)])
        else:
            # every remaining opcode pushes its literal argument (ints, floats, strings, bytes)
            s.append(arg)

    @staticmethod
    def _extend(target: Any, items: list[Any]) -> None:
        if isinstance(target, list):
            target.extend(items)
        # appends to an object call its extend/append: nothing to track for the scan

    @staticmethod
    def _pairs(items: list[Any]) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        for i in range(0, len(items) - 1, 2):
            key = items[i]
            if isinstance(key, (str, int, float, bytes, bool, type(None), tuple)):
                out[key] = items[i + 1]
        return out

    def _setitems(self, target: Any, items: list[Any]) -> None:
        if isinstance(target, dict):
            target.update(self._pairs(items))

    def build(self, target: Any, state: Any, pos: int | None) -> None:
        if not isinstance(target, Obj):
            return
        # pickle's load_build: a (state, slotstate) pair sets both, else a dict updates __dict__
        if isinstance(state, tuple) and len(state) == 2 and isinstance(state[1], dict):
            if isinstance(state[0], dict):
                target.state.update(state[0])
            target.state.update(state[1])
        elif isinstance(state, dict):
            target.state.update(state)
            version = state.get("_sklearn_version")
            if isinstance(version, str):
                self.scan.sklearn_versions.add(version)
        else:
            target.raw_state = state
        if target.cls is not None and (target.cls.module, target.cls.name) == WRAPPER:
            self.read_wrapped_array(target, pos)
            self.stack[-1] = Obj(Global("numpy", "ndarray"))

    def read_wrapped_array(self, wrapper: Obj, pos: int | None) -> None:
        """Consumes what joblib's NumpyArrayWrapper.read_array consumes after this BUILD."""
        state = wrapper.state
        for key in ("dtype", "shape"):
            if key not in state:
                raise ScanError(f"NumpyArrayWrapper at {pos} has no '{key}'")
        itemsize, has_object = describe_dtype(state["dtype"], pos)
        shape = state["shape"]
        if not isinstance(shape, tuple) or not all(
            isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape
        ):
            raise ScanError(f"NumpyArrayWrapper at {pos}: shape must be a tuple of ints")
        count = 1
        for d in shape:
            count *= d
        self.scan.arrays += 1
        if has_object:
            if self.depth >= _MAX_NESTING:
                raise ScanError("object arrays nested too deeply")
            _Machine(self.source, self.scan, self.depth + 1).run()
            return
        alignment = state.get("numpy_array_alignment_bytes")
        if alignment is not None:
            padding = self.source.read_exact(1, "the array padding byte")[0]
            if padding:
                self.source.read_exact(padding, "array padding")
        nbytes = count * itemsize
        if self.source.tell() + nbytes > self.scan.max_bytes:
            raise ScanError(
                f"an array at {pos} declares {nbytes} bytes, over the {self.scan.max_bytes}-byte scan limit"
            )
        self.source.skip(nbytes, f"array data of shape {shape}")


def describe_dtype(value: Any, pos: int | None) -> tuple[int, bool]:
    """(itemsize, has_object) of a pickled numpy.dtype, read without unpickling it."""
    if not isinstance(value, Obj) or value.cls != Global("numpy", "dtype"):
        raise ScanError(f"NumpyArrayWrapper at {pos}: dtype is not a numpy.dtype")
    args = value.args
    code = args[0] if isinstance(args, tuple) and args else None
    if not isinstance(code, str) or not _DTYPE_CODE.match(code):
        raise ScanError(f"NumpyArrayWrapper at {pos}: unsupported dtype {code!r}")
    state = value.raw_state
    if isinstance(state, tuple) and len(state) >= 6:
        if state[2] is not None or state[3] is not None:
            raise ScanError(f"NumpyArrayWrapper at {pos}: structured dtypes are not supported")
        if code[0] in "USV":
            elsize = state[5]
            if not isinstance(elsize, int) or elsize < 0:
                raise ScanError(f"NumpyArrayWrapper at {pos}: bad element size")
            return elsize, False
    import numpy  # the dtype code was checked against a fixed pattern above

    dtype = numpy.dtype(code)
    return dtype.itemsize, bool(dtype.hasobject)


class _Scan:
    def __init__(self, allowlist: Allowlist, max_bytes: int) -> None:
        self.allowlist = allowlist
        self.max_bytes = max_bytes
        self.seen: dict[str, bool] = {}
        self.arrays = 0
        self.sklearn_versions: set[str] = set()

    def record(self, g: Global) -> None:
        if g.dotted not in self.seen:
            self.seen[g.dotted] = self.allowlist.allows(g.module, g.name)


def scan_stream(raw: BinaryIO, allowlist: Allowlist, max_bytes: int) -> ScanResult:
    """Scans a joblib or pickle stream; ScanError when it cannot be read to its end."""
    source = BoundedSource(raw, max_bytes)
    scan = _Scan(allowlist, max_bytes)
    refused = lambda: sorted(name for name, ok in scan.seen.items() if not ok)  # noqa: E731
    try:
        _Machine(source, scan, 0).run()
    except ScanError as error:
        error.refused = refused()
        raise
    except (TypeError, KeyError, IndexError, OverflowError, RecursionError, UnicodeError) as error:
        failure = ScanError(f"malformed pickle: {type(error).__name__}: {error}")
        failure.refused = refused()
        raise failure from error
    return ScanResult(
        globals=sorted(scan.seen),
        refused=sorted(name for name, ok in scan.seen.items() if not ok),
        arrays=scan.arrays,
        compression=source.compression,
        sklearn_versions=sorted(scan.sklearn_versions),
    )


def scan_file(path: str, allowlist: Allowlist, max_bytes: int) -> ScanResult:
    with open(path, "rb") as raw:
        return scan_stream(raw, allowlist, max_bytes)
