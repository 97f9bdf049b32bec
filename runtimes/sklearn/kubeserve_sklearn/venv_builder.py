"""Per-requirements venvs layered on the base runtime, built once per hash, then read-only."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from .requirements import Requirement, Requirements

COMPLETE = ".kubeserve-complete"
# pip's own configuration passes through (PIP_INDEX_URL, PIP_FIND_LINKS, PIP_NO_INDEX, ...)
_ENV_KEEP = ("PATH", "HOME", "LANG", "LC_ALL", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY")


class VenvError(Exception):
    def __init__(self, message: str, pip_tail: list[str] | None = None) -> None:
        super().__init__(message)
        self.pip_tail = pip_tail or []


@dataclass
class VenvResult:
    python: str
    path: str | None
    hash: str
    is_reused: bool
    installed: list[str] = field(default_factory=list)
    satisfied_by_base: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": True,
            "python": self.python,
            "path": self.path,
            "hash": self.hash,
            "reused": self.is_reused,
            "installed": self.installed,
            "satisfiedByBase": self.satisfied_by_base,
        }


def _is_satisfied(req: Requirement) -> bool:
    """True when the base interpreter already has a version matching the requirement."""
    try:
        from pip._vendor.packaging.markers import Marker
        from pip._vendor.packaging.specifiers import SpecifierSet
    except ImportError:
        return False
    if req.marker and not Marker(req.marker).evaluate():
        return True
    if req.extras:
        return False
    try:
        version = metadata.version(req.canonical)
    except metadata.PackageNotFoundError:
        try:
            version = metadata.version(req.name)
        except metadata.PackageNotFoundError:
            return False
    return SpecifierSet(req.specifier).contains(version, prereleases=True)


def _make_read_only(root: Path) -> None:
    for dirpath, dirnames, filenames in os.walk(root):
        for name in filenames:
            path = Path(dirpath, name)
            if not path.is_symlink():
                mode = path.stat().st_mode
                path.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
        Path(dirpath).chmod(0o555)


def _remove(path: Path, keep_folder: bool = False) -> None:
    """Deletes a (read-only) tree; keep_folder empties it instead (an emptyDir mount point)."""
    if not path.exists():
        return
    for dirpath, _, _ in os.walk(path):
        Path(dirpath).chmod(0o755)
    if not keep_folder:
        shutil.rmtree(path)
        return
    for child in path.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()


def _pip_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k in _ENV_KEEP or k.startswith("PIP_")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _run(argv: list[str], timeout: float, what: str) -> None:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=_pip_env(), stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as error:
        raise VenvError(f"{what} took longer than {timeout} s") from error
    if done.returncode != 0:
        tail = (done.stdout + done.stderr).strip().splitlines()[-15:]
        raise VenvError(f"{what} failed with exit code {done.returncode}", tail)


def build_venv(
    requirements: Requirements,
    root: str,
    pip_args: list[str] | None = None,
    timeout: float = 600.0,
) -> VenvResult:
    """Reuses ROOT/<hash> when complete; else installs the unsatisfied requirements, wheels only."""
    missing = [r for r in requirements.requirements if not _is_satisfied(r)]
    satisfied = sorted(r.canonical for r in requirements.requirements if r not in missing)
    digest = requirements.digest
    if not missing:
        return VenvResult(sys.executable, None, digest, False, [], satisfied)
    base = Path(root).resolve()
    base.mkdir(parents=True, exist_ok=True)
    target = base / digest[:32]
    with open(base / f"{digest[:32]}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (target / COMPLETE).is_file():
            return VenvResult(str(target / "bin" / "python"), str(target), digest, True, [r.canonical for r in missing], satisfied)
        _remove(target)
        _build_at(target, missing, digest, pip_args, timeout, keep_folder=False)
    return VenvResult(str(target / "bin" / "python"), str(target), digest, False, [r.canonical for r in missing], satisfied)


def build_venv_at(
    requirements: Requirements,
    target: str,
    pip_args: list[str] | None = None,
    timeout: float = 600.0,
) -> VenvResult:
    """Kubernetes' init container: always a venv at exactly `target` (an emptyDir), built in place."""
    missing = [r for r in requirements.requirements if not _is_satisfied(r)]
    satisfied = sorted(r.canonical for r in requirements.requirements if r not in missing)
    folder = Path(target)
    folder.mkdir(parents=True, exist_ok=True)
    if (folder / COMPLETE).is_file():
        return VenvResult(str(folder / "bin" / "python3"), str(folder), requirements.digest, True, [r.canonical for r in missing], satisfied)
    _remove(folder, keep_folder=True)
    _build_at(folder, missing, requirements.digest, pip_args, timeout, keep_folder=True)
    return VenvResult(str(folder / "bin" / "python3"), str(folder), requirements.digest, False, [r.canonical for r in missing], satisfied)


def _build_at(
    target: Path,
    missing: list[Requirement],
    digest: str,
    pip_args: list[str] | None,
    timeout: float,
    keep_folder: bool,
) -> None:
    try:
        _run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(target)], 120, "python3 -m venv")
        if missing:
            # --no-warn-conflicts: pip's post-install check re-reads the metadata of every Debian package the
            # layered venv sees (about 60% of a small install); it only warns, and a missing import still fails the load
            _run(
                [
                    str(target / "bin" / "python"), "-m", "pip", "install", "--only-binary=:all:", "--no-input",
                    "--no-warn-script-location", "--no-warn-conflicts", *(pip_args or []),
                    *[r.text() for r in missing],
                ],
                timeout,
                "pip install",
            )
        (target / COMPLETE).write_text(json.dumps({"hash": digest, "installed": [r.text() for r in missing]}))
        _make_read_only(target)
    except BaseException:
        _remove(target, keep_folder)
        raise
