"""Venvs per requirements hash: a wheel built here, installed with --no-index --find-links."""

from __future__ import annotations

import base64
import hashlib
import os
import stat
import subprocess
import tempfile
import unittest
import zipfile
from pathlib import Path

from .helpers import run_cli

PACKAGE = "kubeserve_tinypkg"


def build_wheel(folder: Path, version: str = "1.0.0") -> Path:
    """A minimal pure-Python wheel, written with zipfile (no setup.py runs anywhere)."""
    dist = f"{PACKAGE}-{version}.dist-info"
    files = {
        f"{PACKAGE}/__init__.py": f"VALUE = 42\nVERSION = {version!r}\n".encode(),
        f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: kubeserve-tinypkg\nVersion: {version}\n".encode(),
        f"{dist}/WHEEL": b"Wheel-Version: 1.0\nGenerator: kubeserve-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for name, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(data)}")
    record.append(f"{dist}/RECORD,,")
    files[f"{dist}/RECORD"] = ("\n".join(record) + "\n").encode()
    path = folder / f"{PACKAGE}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as wheel:
        for name, data in files.items():
            wheel.writestr(name, data)
    return path


class _VenvCase(unittest.TestCase):
    def setUp(self) -> None:
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = Path(self.tmp.name)
        self.wheels = self.dir / "wheels"
        self.wheels.mkdir()
        build_wheel(self.wheels)
        self.root = self.dir / "runtimes"
        self.env = {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(self.wheels)}

    def tearDown(self) -> None:
        for dirpath, _, _ in os.walk(self.dir):
            os.chmod(dirpath, 0o755)
        self.tmp.cleanup()

    def requirements(self, text: str) -> str:
        path = self.dir / "requirements.txt"
        path.write_text(text)
        return str(path)

    def venv(self, text: str) -> tuple[int, dict]:
        code, answer, _ = run_cli("venv", "--requirements", self.requirements(text), "--root", str(self.root), env=self.env, timeout=300)
        return code, answer


class VenvTest(_VenvCase):
    def test_builds_once_installs_only_what_is_missing_and_is_read_only(self) -> None:
        code, answer = self.venv("kubeserve-tinypkg==1.0.0\nnumpy>=1.0\n")
        self.assertEqual(code, 0, answer)
        self.assertFalse(answer["reused"])
        self.assertEqual(answer["installed"], ["kubeserve-tinypkg"])
        self.assertEqual(answer["satisfiedByBase"], ["numpy"])
        python = answer["python"]
        self.assertTrue(python.startswith(str(self.root)))
        probe = subprocess.run(
            [python, "-c", f"import {PACKAGE}, sklearn, numpy; print({PACKAGE}.VALUE, sklearn.__version__)"],
            capture_output=True,
            text=True,
            check=True,
        )
        self.assertEqual(probe.stdout.split()[0], "42")
        # read-only after the build: no write bit on any file or folder (root ignores modes, so check them)
        for dirpath, _, filenames in os.walk(answer["path"]):
            self.assertFalse(os.stat(dirpath).st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH), dirpath)
            for name in filenames:
                full = Path(dirpath, name)
                if not full.is_symlink():
                    self.assertFalse(full.stat().st_mode & stat.S_IWUSR, full)
        code, again = self.venv("numpy>=1.0\nkubeserve_tinypkg == 1.0.0\n")
        self.assertEqual(code, 0, again)
        self.assertTrue(again["reused"])
        self.assertEqual(again["path"], answer["path"])

    def test_nothing_missing_means_the_base_interpreter(self) -> None:
        code, answer = self.venv("numpy\nscikit-learn>=1.0\njoblib\n")
        self.assertEqual(code, 0, answer)
        self.assertIsNone(answer["path"])
        self.assertEqual(answer["python"], "/usr/bin/python3")
        self.assertFalse(self.root.exists() and any(p.is_dir() for p in self.root.iterdir()))

    def test_install_failure_reports_pip_and_leaves_nothing(self) -> None:
        code, answer = self.venv("kubeserve-tinypkg==9.9.9\n")
        self.assertEqual(code, 1, answer)
        self.assertFalse(answer["ok"])
        self.assertIn("pip install failed", answer["error"])
        self.assertTrue(any("kubeserve-tinypkg==9.9.9" in line or "No matching distribution" in line for line in answer["pipTail"]), answer["pipTail"])
        self.assertEqual([p.name for p in self.root.iterdir() if p.is_dir()], [])

    def test_invalid_requirements_are_refused_before_any_build(self) -> None:
        code, answer = self.venv("kubeserve-tinypkg\n--index-url https://evil.example/simple\n")
        self.assertEqual(code, 2)
        self.assertEqual(answer["errors"][0]["line"], 2)
        self.assertFalse(self.root.exists())


if __name__ == "__main__":
    unittest.main()


class TargetVenvTest(_VenvCase):
    """--target: the Kubernetes init container fills an emptyDir that it cannot remove."""

    def test_builds_in_place_even_with_nothing_to_install(self) -> None:
        target = self.dir / "venv"
        target.mkdir()
        for text, installed in (("numpy\n", []), ("kubeserve-tinypkg==1.0.0\n", ["kubeserve-tinypkg"])):
            with self.subTest(text):
                for dirpath, _, _ in os.walk(target):
                    os.chmod(dirpath, 0o755)
                for child in target.iterdir():
                    subprocess.run(["rm", "-rf", str(child)], check=True)
                code, answer, _ = run_cli(
                    "venv", "--requirements", self.requirements(text), "--target", str(target), env=self.env, timeout=300
                )
                self.assertEqual(code, 0, answer)
                self.assertEqual(answer["installed"], installed)
                self.assertEqual(answer["python"], str(target / "bin" / "python3"))
                probe = subprocess.run([answer["python"], "-c", "import sklearn, numpy; print('ok')"], capture_output=True, text=True)
                self.assertEqual(probe.stdout.strip(), "ok", probe.stderr)

    def test_failure_empties_the_folder_but_keeps_it(self) -> None:
        target = self.dir / "venv"
        target.mkdir()
        code, answer, _ = run_cli("venv", "--requirements", self.requirements("kubeserve-tinypkg==7\n"), "--target", str(target), env=self.env, timeout=300)
        self.assertEqual(code, 1, answer)
        self.assertTrue(target.is_dir())
        self.assertEqual(list(target.iterdir()), [])

    def test_module_entry_point_and_exactly_one_mode(self) -> None:
        done = subprocess.run(
            ["/usr/bin/python3", "-m", "kubeserve_sklearn.venv", "--requirements", self.requirements("numpy\n")],
            cwd=Path(__file__).resolve().parent.parent,
            capture_output=True,
            text=True,
        )
        self.assertEqual(done.returncode, 64)
        self.assertIn("exactly one of --root", done.stderr)
