"""Test helpers: real server processes on free ports, real HTTP, fixture files."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RUNTIME = HERE.parent
REPO = RUNTIME.parent.parent
FIXTURES = HERE / "fixtures"
SHARED = REPO.parent / "shared"
PYTHON = "/usr/bin/python3"
MODELS = ("iris-logreg", "regression", "mlp-64", "mlp-wide")
TOKEN = "test-replica-token-0123456789"


def model_path(name: str) -> Path:
    local = FIXTURES / f"{name}.joblib"
    if local.is_file():
        return local
    shared = SHARED / "fixtures" / f"{name}.joblib"
    if not shared.is_file():
        raise FileNotFoundError(f"{name}.joblib is neither in {FIXTURES} nor in {shared.parent}")
    return shared


def samples(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.samples.json").read_text())


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> tuple[int, Any, str]:
    done = subprocess.run(
        [PYTHON, "-m", "kubeserve_sklearn", *args],
        cwd=RUNTIME,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )
    lines = done.stdout.strip().splitlines()
    answer = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else None
    return done.returncode, answer, done.stderr


class Server:
    """A `python3 -m kubeserve_sklearn` process; `port` comes from its "listening" line."""

    def __init__(self, model: str | Path, *flags: str, env: dict[str, str] | None = None, wait_ready: bool = True) -> None:
        self.env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", **(env or {})}
        argv = [PYTHON, "-m", "kubeserve_sklearn", "--model", str(model), "--host", "127.0.0.1", "--port", "0", *flags]
        self.proc = subprocess.Popen(argv, cwd=RUNTIME, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=self.env)
        self.lines: list[str] = []
        first = self.proc.stdout.readline() if self.proc.stdout else ""
        self.lines.append(first)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        try:
            listening = json.loads(first)
        except json.JSONDecodeError:
            self.proc.kill()
            raise RuntimeError(f"no listening line: {first!r} {self.proc.stderr.read() if self.proc.stderr else ''}")
        assert listening["msg"] == "listening", listening
        self.port = int(listening["port"])
        if wait_ready:
            self.wait_ready()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        headers = {"authorization": f"Bearer {TOKEN}"}
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}: {''.join(self.lines)}")
            try:
                status, _, _ = self.request("GET", "/v2/health/ready", headers=headers)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise TimeoutError("the server did not become ready")

    def request(self, method: str, path: str, body: bytes | str | dict[str, Any] | None = None, headers: dict[str, str] | None = None, timeout: float = 60) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            if isinstance(body, (dict, list)):
                body = json.dumps(body)
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            data = response.read()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, data
        finally:
            conn.close()

    def json(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> tuple[int, Any]:
        status, _, data = self.request(method, path, body, headers)
        return status, json.loads(data)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        code = self.proc.wait(timeout)
        # the reader thread sees EOF once every process holding the pipe is gone; never close under it
        self._reader.join(5)
        if self.proc.stderr:
            self.proc.stderr.close()
        return code

    def wait_for_line(self, text: str, count: int = 1, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while sum(text in line for line in self.lines) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{count}× {text!r} not logged: {''.join(self.lines)}")
            time.sleep(0.05)

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def python_env() -> dict[str, str]:
    return {"PYTHONPATH": str(RUNTIME)}


sys.path.insert(0, str(RUNTIME))


def encode_binary(rows: list[list[float]], outputs: list[str], dtype: str = "<f8") -> tuple[bytes, dict[str, str]]:
    import numpy as np

    raw = np.asarray(rows, dtype=dtype).tobytes()
    datatype = "FP64" if dtype == "<f8" else "FP32"
    header = json.dumps(
        {
            "inputs": [
                {"name": "input", "shape": [len(rows), len(rows[0])], "datatype": datatype, "parameters": {"binary_data_size": len(raw)}}
            ],
            "outputs": [{"name": o, "parameters": {"binary_data": True}} for o in outputs],
        }
    ).encode()
    return header + raw, {"inference-header-content-length": str(len(header)), "content-type": "application/octet-stream"}


def decode_binary(headers: dict[str, str], body: bytes) -> dict[str, Any]:
    import numpy as np

    length = int(headers["inference-header-content-length"])
    header = json.loads(body[:length])
    offset = length
    out: dict[str, Any] = {}
    for item in header["outputs"]:
        size = item["parameters"]["binary_data_size"]
        dtype = {"FP64": "<f8", "INT64": "<i8"}[item["datatype"]]
        out[item["name"]] = np.frombuffer(body[offset : offset + size], dtype=dtype).reshape(item["shape"])
        offset += size
    assert offset == len(body)
    return out
