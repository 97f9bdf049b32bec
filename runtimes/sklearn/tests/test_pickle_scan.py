"""The pickle scan: real fixture files, joblib's compressions, and hostile pickles built here."""

from __future__ import annotations

import collections
import io
import os
import pickle
import struct
import subprocess
import tempfile
import unittest
from pathlib import Path

import joblib
import numpy as np
from sklearn.linear_model import LogisticRegression

from kubeserve_sklearn.allowlist import load_allowlist
from kubeserve_sklearn.pickle_scan import scan_file, scan_stream
from kubeserve_sklearn.pickle_source import ScanError

from .helpers import MODELS, PYTHON, model_path, run_cli

LIMIT = 1 << 30


class _Evil:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (os.system, (f"touch {self.marker}",))


def globals_joblib_resolves(path: str) -> set[str]:
    """The reference: every global joblib.load itself resolves while loading the file."""
    seen: set[str] = set()

    class Recording(joblib.numpy_pickle.NumpyUnpickler):
        def find_class(self, module: str, name: str):  # type: ignore[no-untyped-def]
            seen.add(f"{module}.{name}")
            return super().find_class(module, name)

    original = joblib.numpy_pickle.NumpyUnpickler
    joblib.numpy_pickle.NumpyUnpickler = Recording  # type: ignore[misc]
    try:
        joblib.load(path)
    finally:
        joblib.numpy_pickle.NumpyUnpickler = original  # type: ignore[misc]
    return seen


class ScanTest(unittest.TestCase):
    allowlist = load_allowlist()

    def setUp(self) -> None:
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = Path(self.tmp.name)
        self.marker = self.dir / "marker"

    def tearDown(self) -> None:
        self.tmp.cleanup()

    def write(self, name: str, data: bytes) -> str:
        path = self.dir / name
        path.write_bytes(data)
        return str(path)

    def assert_refused(self, path: str, *names: str) -> None:
        code, answer, _ = run_cli("scan", path)
        self.assertEqual(code, 2, answer)
        self.assertFalse(answer["ok"])
        for name in names:
            self.assertIn(name, answer["refused"])
        code, answer, _ = run_cli("inspect", path)
        self.assertEqual(code, 2, answer)
        self.assertEqual(answer["stage"], "scan")
        self.assertFalse(self.marker.exists(), "something unpickled the hostile file")

    def test_fixtures_pass_and_globals_equal_what_joblib_resolves(self) -> None:
        for name in MODELS:
            with self.subTest(name):
                path = str(model_path(name))
                result = scan_file(path, self.allowlist, LIMIT)
                self.assertTrue(result.ok, result.refused)
                self.assertEqual(set(result.globals), globals_joblib_resolves(path))
                self.assertGreater(result.arrays, 0)

    def test_every_joblib_compression_is_followed(self) -> None:
        model = joblib.load(model_path("iris-logreg"))
        plain = set(scan_file(str(model_path("iris-logreg")), self.allowlist, LIMIT).globals)
        for method in ("zlib", "gzip", "bz2", "lzma", "xz"):
            with self.subTest(method):
                path = str(self.dir / f"m.{method}")
                joblib.dump(model, path, compress=(method, 3))
                result = scan_file(path, self.allowlist, LIMIT)
                self.assertEqual(result.compression, method)
                self.assertTrue(result.ok)
                self.assertEqual(set(result.globals), plain)
                self.assertEqual(set(result.globals), globals_joblib_resolves(path))
                evil = str(self.dir / f"evil.{method}")
                joblib.dump({"x": _Evil(str(self.marker))}, evil, compress=(method, 3))
                self.assert_refused(evil, "posix.system")

    def test_object_arrays_hold_nested_pickles_that_are_scanned(self) -> None:
        x = np.random.RandomState(0).rand(30, 3)
        y = np.array(["setosa", "versicolor", "virginica"] * 10, dtype=object)
        path = str(self.dir / "strings.joblib")
        joblib.dump(LogisticRegression().fit(x, y), path)
        result = scan_file(path, self.allowlist, LIMIT)
        self.assertTrue(result.ok, result.refused)
        # joblib reads object arrays with a plain pickle.load, which the recording unpickler misses
        nested_only = set(result.globals) - globals_joblib_resolves(path)
        self.assertLessEqual(nested_only, {"_codecs.encode", "numpy.core.multiarray._reconstruct"})
        self.assertIn("numpy.core.multiarray._reconstruct", result.globals)
        evil = str(self.dir / "evil-object-array.joblib")
        joblib.dump({"a": np.arange(4.0), "b": np.array([1, _Evil(str(self.marker))], dtype=object)}, evil)
        self.assert_refused(evil, "posix.system")

    def test_os_system_reduce_is_refused_in_every_protocol_and_never_runs(self) -> None:
        for protocol in range(0, pickle.HIGHEST_PROTOCOL + 1):
            with self.subTest(protocol=protocol):
                path = self.write(f"evil{protocol}.pkl", pickle.dumps(_Evil(str(self.marker)), protocol=protocol))
                self.assert_refused(path, "posix.system")
        # the control: the same file really runs the command when something unpickles it
        control = self.write("control.pkl", pickle.dumps(_Evil(str(self.marker)), protocol=2))
        subprocess.run([PYTHON, "-c", f"import pickle; pickle.load(open({control!r}, 'rb'))"], check=True)
        self.assertTrue(self.marker.exists())

    def test_eval_exec_and_getattr_chains(self) -> None:
        m = str(self.marker)
        cases = {
            "eval": b"cbuiltins\neval\n(V__import__('os').system('touch " + m.encode() + b"')\ntR.",
            "exec": b"cbuiltins\nexec\n(Vimport os; os.system('touch " + m.encode() + b"')\ntR.",
            "getattr": (
                b"cbuiltins\ngetattr\n(cbuiltins\n__import__\n(Vos\ntRVsystem\ntR(Vtouch " + m.encode() + b"\ntR."
            ),
            # protocol 4: names pushed from the memo before STACK_GLOBAL
            "stack_global": b"\x80\x04\x8c\x08builtins\x94\x8c\x07getattr\x94\x93\x94h\x00h\x01\x86\x94.",
            # an allowed module with a dotted qualname is not the allowed pair
            "dotted": b"\x80\x04\x8c\x05numpy\x8c\x17dtype.__init__.__call__\x93.",
        }
        expected = {
            "eval": ["builtins.eval"],
            "exec": ["builtins.exec"],
            "getattr": ["builtins.__import__", "builtins.getattr"],
            "stack_global": ["builtins.getattr"],
            "dotted": ["numpy.dtype.__init__.__call__"],
        }
        for name, data in cases.items():
            with self.subTest(name):
                self.assert_refused(self.write(f"{name}.pkl", data), *expected[name])

    def test_stack_global_with_non_string_operands_is_an_error(self) -> None:
        path = self.write("odd.pkl", b"\x80\x04K\x01K\x02\x93.")
        code, answer, _ = run_cli("scan", path)
        self.assertEqual(code, 2)
        self.assertIn("not plain strings", answer["error"])

    def test_truncated_pickle(self) -> None:
        data = model_path("iris-logreg").read_bytes()
        for cut in (len(data) // 2, len(data) - 1, 5):
            with self.subTest(cut=cut):
                code, answer, _ = run_cli("scan", self.write(f"cut{cut}.joblib", data[:cut]))
                self.assertEqual(code, 2, answer)
                self.assertIn("truncated", answer["error"])

    def test_array_data_cut_short_is_truncated_whether_seeked_or_read(self) -> None:
        # Array bytes are skipped by seeking in a real file and read through otherwise: both must notice the cut.
        model = LogisticRegression().fit(np.eye(4), [0, 1, 0, 1])
        model.padding_ = np.arange(200_000, dtype=np.float64)
        buffer = io.BytesIO()
        joblib.dump(model, buffer)
        data = buffer.getvalue()
        whole = scan_stream(io.BytesIO(data), self.allowlist, 1 << 30)
        self.assertTrue(whole.ok)
        cut = data[: len(data) // 2]
        code, answer, _ = run_cli("scan", self.write("cut-array.joblib", cut))
        self.assertEqual(code, 2, answer)
        self.assertIn("truncated: array data", answer["error"])
        with self.assertRaisesRegex(ScanError, "truncated: array data"):
            scan_stream(io.BytesIO(cut), self.allowlist, 1 << 30)

    def test_declared_sizes_over_the_limit(self) -> None:
        # BINBYTES8 declaring 2 GiB with ten bytes behind it
        path = self.write("huge.pkl", b"\x80\x04\x8e" + struct.pack("<Q", 2 << 30) + b"x" * 10 + b".")
        code, answer, _ = run_cli("scan", path)
        self.assertEqual(code, 2)
        self.assertIn("over the", answer["error"])
        with self.assertRaisesRegex(ScanError, "1024-byte scan limit"):
            scan_stream(io.BytesIO(b"\x80\x04\x8e" + struct.pack("<Q", 4096) + b"x" * 4096 + b"."), self.allowlist, 1024)

    def test_mutated_files_give_a_scan_error_or_a_result_never_a_crash(self) -> None:
        import random

        data = model_path("iris-logreg").read_bytes()
        rng = random.Random(11)
        for _ in range(500):
            mutated = bytearray(data)
            for _ in range(rng.randint(1, 4)):
                mutated[rng.randrange(len(mutated))] = rng.randrange(256)
            try:
                scan_stream(io.BytesIO(bytes(mutated)), self.allowlist, 1 << 24)
            except ScanError:
                pass

    def test_unsupported_opcodes(self) -> None:
        code, answer, _ = run_cli("scan", self.write("persid.pkl", b"\x80\x02Pabc\n."))
        self.assertEqual(code, 2)
        self.assertIn("persistent ids", answer["error"])
        code, answer, _ = run_cli("scan", self.write("ext.pkl", b"\x80\x02\x82\x01."))
        self.assertEqual(code, 2)
        self.assertIn("extension registry", answer["error"])

    def test_non_estimator_joblib_passes_the_scan_but_not_inspect(self) -> None:
        path = str(self.dir / "dict.joblib")
        joblib.dump({"weights": np.arange(6.0).reshape(2, 3)}, path)
        code, answer, _ = run_cli("scan", path)
        self.assertEqual(code, 0, answer)
        code, answer, _ = run_cli("inspect", path)
        self.assertEqual(code, 2, answer)
        self.assertEqual(answer["stage"], "estimator")
        self.assertIn("not an estimator", answer["error"])

    def test_admin_can_extend_the_allowlist_exactly(self) -> None:
        path = self.write("counter.pkl", pickle.dumps(collections.Counter("abc"), protocol=4))
        code, answer, _ = run_cli("scan", path)
        self.assertEqual((code, answer["refused"]), (2, ["collections.Counter"]))
        self.assertEqual(run_cli("scan", path, "--allow", "collections.Counter")[0], 0)
        self.assertEqual(run_cli("scan", path, env={"KUBESERVE_PICKLE_ALLOW": "collections.Counter"})[0], 0)
        allow_file = self.write("allow.txt", b"# admin additions\ncollections.Counter\n")
        self.assertEqual(run_cli("scan", path, "--allow-file", allow_file)[0], 0)
        # a module is never a wildcard
        self.assertEqual(run_cli("scan", path, "--allow", "collections.OrderedDict")[0], 2)
        code, _, stderr = run_cli("scan", path, "--allow", "collections")
        self.assertEqual(code, 64)
        self.assertIn("not a module.qualname pair", stderr)


if __name__ == "__main__":
    unittest.main()
