"""The three servers the bench compares, each on a free loopback port."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

PYTHON = "/usr/bin/python3"
RUNTIME = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
BASE_ENV = {"PATH": "/usr/bin:/bin", "OPENBLAS_NUM_THREADS": "1", "HOME": os.environ.get("HOME", "/tmp")}


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its live descendants (uvicorn's or our workers), from /proc."""
    total, pending = 0.0, [pid]
    tick = os.sysconf("SC_CLK_TCK")
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            for task in Path(f"/proc/{current}/task").iterdir():
                pending.extend(int(c) for c in (task / "children").read_text().split())
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Process:
    def __init__(self, argv: list[str], cwd: Path, env: dict[str, str], port: int, health: str) -> None:
        self.port = port
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(argv, cwd=cwd, env={**BASE_ENV, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.ready_seconds = self._wait(health)

    def _wait(self, path: str, timeout: float = 120) -> float:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.proc.args} exited: {self.proc.stderr.read().decode()[-2000:] if self.proc.stderr else ''}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=1) as r:
                    if r.status == 200:
                        return time.perf_counter() - self.started
            except OSError:
                time.sleep(0.02)
        raise TimeoutError(f"{self.proc.args} did not become ready")

    def cpu_seconds(self) -> float:
        return tree_cpu_seconds(self.proc.pid)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stderr:
            self.proc.stderr.close()


def start_ours(model: Path, workers: int, batching: str = "auto", python: str = PYTHON, env: dict[str, str] | None = None) -> Process:
    port = free_port()
    argv = [python, "-m", "kubeserve_sklearn", "--model", str(model), "--name", "m", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers), "--batching", batching, "--log-level", "warn"]
    return Process(argv, RUNTIME, {"PYTHONPATH": str(RUNTIME), **(env or {})}, port, "/v2/health/ready")


def start_uvicorn(app: str, app_dir: Path, model: Path, workers: int) -> Process:
    port = free_port()
    argv = [PYTHON, "-m", "uvicorn", app, "--app-dir", str(app_dir), "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers), "--loop", "uvloop", "--http", "httptools", "--no-access-log", "--log-level", "warning"]
    return Process(argv, app_dir, {"MODEL_PATH": str(model)}, port, "/health" if app.startswith("peer") else "/")


def start_peer(fixtures: Path, model: Path, workers: int) -> Process:
    return start_uvicorn("peer_server:app", fixtures, model, workers)


def start_floor(model: Path, workers: int) -> Process:
    port = free_port()
    argv = [PYTHON, "-m", "uvicorn", "floor_app:app", "--app-dir", str(BENCH), "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers), "--loop", "uvloop", "--http", "httptools", "--no-access-log", "--log-level", "warning"]
    proc = subprocess.Popen(argv, cwd=BENCH, env={**BASE_ENV, "MODEL_PATH": str(model)}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    server = Process.__new__(Process)
    server.port, server.proc, server.started = port, proc, time.perf_counter()
    body = json.dumps({"instances": [[0.0] * 4]}).encode()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/predict", data=body), timeout=1)
            break
        except urllib.error.HTTPError:
            break
        except OSError:
            time.sleep(0.05)
    server.ready_seconds = time.perf_counter() - server.started
    return server
