"""Runs a command in a child with resource limits and, where `unshare -n` works, no network."""

from __future__ import annotations

import functools
import resource
import shutil
import subprocess
from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    cpu_seconds: int = 30
    wall_seconds: float = 60.0
    memory_bytes: int = 4 << 30
    max_file_bytes: int = 0


@dataclass
class SandboxResult:
    returncode: int
    stdout: str
    stderr: str
    is_timed_out: bool
    is_network_isolated: bool


def _apply_limits(limits: Limits) -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds))
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    # the child writes nothing but its stdout pipe, and starts no core dumps
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.max_file_bytes, limits.max_file_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


@functools.lru_cache(maxsize=1)
def network_isolation_prefix() -> tuple[str, ...]:
    """`unshare -n` as root, `unshare -rn` with user namespaces, else nothing (stated in results)."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return ()
    for prefix in ((unshare, "-n"), (unshare, "-rn")):
        try:
            probe = subprocess.run([*prefix, "true"], capture_output=True, timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if probe.returncode == 0:
            return prefix
    return ()


def run_sandboxed(
    argv: list[str], limits: Limits, env: dict[str, str], pass_fds: tuple[int, ...] = ()
) -> SandboxResult:
    prefix = network_isolation_prefix()
    try:
        done = subprocess.run(
            [*prefix, *argv],
            capture_output=True,
            text=True,
            timeout=limits.wall_seconds,
            env=env,
            pass_fds=pass_fds,
            stdin=subprocess.DEVNULL,
            preexec_fn=lambda: _apply_limits(limits),
        )
    except subprocess.TimeoutExpired as error:
        return SandboxResult(-9, _text(error.stdout), _text(error.stderr), True, bool(prefix))
    return SandboxResult(done.returncode, done.stdout, done.stderr, False, bool(prefix))


def _text(value: bytes | str | None) -> str:
    if value is None:
        return ""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value
