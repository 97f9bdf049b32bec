"""Signature at upload: scan, then load once in a sandboxed child that reports what it found."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict
from typing import Any

from .allowlist import Allowlist
from .pickle_scan import scan_stream
from .pickle_source import ScanError
from .sandbox import Limits, run_sandboxed

_CHILD_ENV_KEEP = (
    "PATH",
    "LANG",
    "LC_ALL",
    "PYTHONPATH",
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "KUBESERVE_SANDBOX_UID",
)


def _child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k in _CHILD_ENV_KEEP}
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def inspect_file(path: str, allowlist: Allowlist, max_bytes: int, limits: Limits) -> tuple[int, dict[str, Any]]:
    """(exit code, JSON answer). 0 ok, 2 refused by the scan or not an estimator, 1 load failed."""
    with open(path, "rb") as handle:
        try:
            scan = scan_stream(handle, allowlist, max_bytes)
        except ScanError as error:
            return 2, {"ok": False, "stage": "scan", "error": str(error), "refused": error.refused}
        if not scan.ok:
            return 2, {
                "ok": False,
                "stage": "scan",
                "error": f"refused globals: {', '.join(scan.refused)}",
                "refused": scan.refused,
                "globals": scan.globals,
            }
        handle.seek(0)
        # the child reads the very file that was scanned (same open descriptor, no second open)
        fd = handle.fileno()
        os.set_inheritable(fd, True)
        argv = [sys.executable, "-m", "kubeserve_sklearn", "_inspect-child", "--fd", str(fd)]
        result = run_sandboxed(argv, limits, _child_env(), pass_fds=(fd,))
    answer_line = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    if result.is_timed_out:
        return 1, {"ok": False, "stage": "load", "error": f"loading took longer than {limits.wall_seconds} s"}
    try:
        answer = json.loads(answer_line)
    except json.JSONDecodeError:
        tail = "\n".join(result.stderr.strip().splitlines()[-5:])
        return 1, {"ok": False, "stage": "load", "error": f"the loader exited with {result.returncode}: {tail}"}
    answer["networkIsolated"] = result.is_network_isolated
    if answer.get("ok"):
        _note_saved_version(answer, scan.sklearn_versions)
    answer["scan"] = {"globals": scan.globals, "arrays": scan.arrays, "compression": scan.compression}
    return (0 if answer.get("ok") else 2), answer


def _note_saved_version(answer: dict[str, Any], versions: list[str]) -> None:
    """sklearn drops _sklearn_version on load, so the version comes from the scanned pickle."""
    metadata = answer["metadata"]
    saved = versions[0] if len(versions) == 1 else (", ".join(versions) or None)
    metadata["sklearnVersion"] = saved
    runtime = metadata["runtimeSklearnVersion"]
    if saved is not None and saved != runtime:
        answer["warnings"].insert(0, f"saved with scikit-learn {saved}, the runtime has {runtime}")


def _drop_privileges() -> int:
    """As root with KUBESERVE_SANDBOX_UID: the load runs as that uid with no groups (it needs only its fd)."""
    wanted = os.environ.get("KUBESERVE_SANDBOX_UID")
    if wanted and os.getuid() == 0:
        uid = int(wanted)
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    return os.getuid()


def run_child(fd: int) -> int:
    """Inside the sandbox: load from the inherited descriptor and print one JSON line."""
    uid = _drop_privileges()
    import warnings

    import joblib

    from .estimator import NotAnEstimatorError, build_metadata, build_signature, describe_estimator

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with os.fdopen(fd, "rb") as handle:
            try:
                model = joblib.load(handle)
            except Exception as error:  # noqa: BLE001 - any failure of the load is reported
                print(json.dumps({"ok": False, "stage": "load", "error": f"{type(error).__name__}: {error}"}))
                return 0
        try:
            info = describe_estimator(model)
        except NotAnEstimatorError as error:
            print(json.dumps({"ok": False, "stage": "estimator", "error": str(error)}))
            return 0
        except Exception as error:  # noqa: BLE001
            message = f"predicting one zero row failed: {type(error).__name__}: {error}"
            print(json.dumps({"ok": False, "stage": "estimator", "error": message}))
            return 0
    warnings_out = sorted({str(w.message).splitlines()[0] for w in caught})
    answer = {
        "ok": True,
        "signature": build_signature(info),
        "metadata": build_metadata(info),
        "warnings": warnings_out,
        "info": asdict(info),
        "sandboxUid": uid,
    }
    print(json.dumps(answer, default=str))
    return 0
