"""wrk runs and their report: req/s, p50, p99, and whether the round is valid (only 2xx, no errors)."""

from __future__ import annotations

import math
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

POST_LUA = Path(__file__).with_name("post.lua")
_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


@dataclass
class Round:
    rps: float
    p50_ms: float
    p99_ms: float
    is_valid: bool
    problem: str = ""
    requests: int = 0
    # the server's CPU (all its processes) per request: holds up on a loaded machine where req/s does not
    cpu_us: float = math.nan


def _latency(text: str, pct: str) -> float:
    match = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    return float(match.group(1)) * _UNIT_MS[match.group(2)] if match else float("nan")


def parse_report(text: str) -> Round:
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", text, re.M)
    requests = re.search(r"^\s*(\d+) requests in", text, re.M)
    problems = []
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    if non2xx:
        problems.append(f"{non2xx.group(1)} non-2xx answers")
    errors = re.search(r"Socket errors: (.*)", text)
    if errors:
        problems.append(f"socket errors: {errors.group(1)}")
    if not rps:
        problems.append("no Requests/sec line")
    return Round(
        float(rps.group(1)) if rps else 0.0,
        _latency(text, "50"),
        _latency(text, "99"),
        not problems,
        "; ".join(problems),
        int(requests.group(1)) if requests else 0,
    )


def run_wrk(url: str, body: Path, connections: int, duration: float, warmup: float, cpu_seconds: Callable[[], float] | None = None) -> Round:
    env = {"BODY": str(body), "PATH": "/usr/bin:/bin"}
    if warmup > 0:
        subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{int(round(warmup))}s", "-s", str(POST_LUA), url], env=env, capture_output=True, timeout=warmup + 30)
    cpu_before = cpu_seconds() if cpu_seconds else 0.0
    done = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{int(round(duration))}s", "--latency", "-s", str(POST_LUA), url],
        env=env,
        capture_output=True,
        text=True,
        timeout=duration + 60,
    )
    result = parse_report(done.stdout + done.stderr)
    if cpu_seconds and result.requests:
        result.cpu_us = (cpu_seconds() - cpu_before) / result.requests * 1e6
    return result
