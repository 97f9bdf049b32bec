"""Server settings: the same environment variables and flags as apps/inference, validated once."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_TOKEN = re.compile(r"^[\x21-\x7e]{16,}$")


class ConfigError(ValueError):
    pass


def _int(lo: int, hi: int) -> Callable[[str], int]:
    def parse(v: str) -> int:
        n = int(v)
        if not lo <= n <= hi:
            raise ValueError(f"must be an integer from {lo} to {hi}")
        return n

    return parse


def _float(lo: float, hi: float) -> Callable[[str], float]:
    def parse(v: str) -> float:
        n = float(v)
        if not lo <= n <= hi:
            raise ValueError(f"must be a number from {lo} to {hi}")
        return n

    return parse


def _match(pattern: re.Pattern[str], what: str) -> Callable[[str], str]:
    def parse(v: str) -> str:
        if not pattern.match(v):
            raise ValueError(what)
        return v

    return parse


def _choice(*options: str) -> Callable[[str], str]:
    def parse(v: str) -> str:
        if v not in options:
            raise ValueError(f"one of {', '.join(options)}")
        return v

    return parse


def _boolean(v: str) -> bool:
    if v not in ("true", "false"):
        raise ValueError("true or false")
    return v == "true"


def _sha256(v: str) -> str:
    if not re.match(r"^[0-9a-fA-F]{64}$", v):
        raise ValueError("64 hex digits")
    return v.lower()


_names = _match(_NAME, "letters, digits, '_', '.', '-'")

# key: (environment variable, flag, parser, default, help)
SETTINGS: dict[str, tuple[str, str, Callable[[str], Any], Any, str]] = {
    "model": ("KUBESERVE_MODEL", "model", str, None, "local .joblib/.pkl path or http(s):// URL"),
    "name": ("KUBESERVE_MODEL_NAME", "name", _names, None, "model name in URLs"),
    "version": ("KUBESERVE_MODEL_VERSION", "version", _names, "1", "model version in URLs"),
    "sha256": ("KUBESERVE_MODEL_SHA256", "sha256", _sha256, None, "expected SHA-256 of the file"),
    "model_token": ("KUBESERVE_MODEL_TOKEN", "model-token", str, None, "bearer token for an http(s) model URL"),
    "deployment": ("KUBESERVE_DEPLOYMENT", "deployment", str, "", "metrics label"),
    "host": ("KUBESERVE_HOST", "host", str, "0.0.0.0", "listen address"),
    "port": ("KUBESERVE_PORT", "port", _int(0, 65535), 8080, "listen port (0 = any free port)"),
    "auth_token": (
        "KUBESERVE_AUTH_TOKEN",
        "auth-token",
        _match(_TOKEN, "at least 16 printable ASCII characters, no spaces"),
        None,
        "require Authorization: Bearer <token> (prefer the env var: argv is public)",
    ),
    "public_health": (
        "KUBESERVE_PUBLIC_HEALTH",
        "public-health",
        _boolean,
        False,
        "true: /v2/health/{live,ready} answer without the token (kubelet probes)",
    ),
    "max_body_bytes": ("KUBESERVE_MAX_BODY_BYTES", "max-body-bytes", _int(1024, 2**31), 32 << 20, "413 above"),
    "batching": ("KUBESERVE_BATCHING", "batching", _choice("auto", "on", "off"), "auto", "auto | on | off"),
    "max_batch_size": ("KUBESERVE_MAX_BATCH_SIZE", "max-batch-size", _int(1, 65536), 32, "rows per run"),
    "max_queue_delay_ms": (
        "KUBESERVE_MAX_QUEUE_DELAY_MS",
        "max-queue-delay-ms",
        _float(0, 1000),
        1.0,
        "longest wait for companions",
    ),
    "max_queue_size": ("KUBESERVE_MAX_QUEUE_SIZE", "max-queue-size", _int(1, 1_000_000), 1024, "queued requests before 503"),
    "max_queue_bytes": (
        "KUBESERVE_MAX_QUEUE_BYTES",
        "max-queue-bytes",
        _int(1024, 2**40),
        256 << 20,
        "queued body bytes before 503",
    ),
    "workers": ("KUBESERVE_WORKERS", "workers", _int(1, 64), 1, "server processes (each loads the model)"),
    "v1_output": (
        "KUBESERVE_V1_OUTPUT",
        "v1-output",
        _choice("predict", "predict_proba"),
        None,
        "output used as predictions (default: predict_proba for classifiers)",
    ),
    "cache_dir": ("KUBESERVE_MODEL_CACHE_DIR", "cache-dir", str, ".kubeserve/model-cache", "download cache"),
    "log_level": (
        "KUBESERVE_LOG_LEVEL",
        "log-level",
        _choice("fatal", "error", "warn", "info", "debug", "trace", "silent"),
        "info",
        "log level",
    ),
    "shutdown_timeout_ms": (
        "KUBESERVE_SHUTDOWN_TIMEOUT_MS",
        "shutdown-timeout-ms",
        _int(0, 600_000),
        10_000,
        "drain limit on SIGTERM",
    ),
    "pickle_allow": ("KUBESERVE_PICKLE_ALLOW", "pickle-allow", str, "", "extra module.qualname globals (comma-separated, admin)"),
    "pickle_allow_file": ("KUBESERVE_PICKLE_ALLOW_FILE", "pickle-allow-file", str, None, "file of extra module.qualname lines"),
    "scan_max_bytes": ("KUBESERVE_SCAN_MAX_BYTES", "scan-max-bytes", _int(1024, 2**40), 1 << 30, "largest pickle scanned"),
}


@dataclass(frozen=True)
class Config:
    model: str
    name: str
    version: str = "1"
    sha256: str | None = None
    model_token: str | None = None
    deployment: str = ""
    host: str = "0.0.0.0"
    port: int = 8080
    auth_token: str | None = None
    public_health: bool = False
    max_body_bytes: int = 32 << 20
    batching: str = "auto"
    max_batch_size: int = 32
    max_queue_delay_ms: float = 1.0
    max_queue_size: int = 1024
    max_queue_bytes: int = 256 << 20
    workers: int = 1
    v1_output: str | None = None
    cache_dir: str = ".kubeserve/model-cache"
    log_level: str = "info"
    shutdown_timeout_ms: int = 10_000
    pickle_allow: str = ""
    pickle_allow_file: str | None = None
    scan_max_bytes: int = 1 << 30
    extra: dict[str, Any] = field(default_factory=dict)


def format_help() -> str:
    rows = [f"  --{flag:<22} {env:<32} {text}" for env, flag, _, _, text in SETTINGS.values()]
    return "\n".join(
        [
            "usage: python3 -m kubeserve_sklearn [serve] --model ./model.joblib [--name iris] [--port 8080] [options]",
            "       python3 -m kubeserve_sklearn scan|inspect|requirements|venv ...   (see README)",
            "",
            "  flag                     environment variable             meaning",
            *rows,
            "  --help                   print this help",
        ]
    )


def _default_name(model: str) -> str:
    base = re.split(r"[/\\]", model.split("?", 1)[0])[-1]
    stem = re.sub(r"\.(joblib|pkl|pickle)$", "", base) or "model"
    return re.sub(r"[^A-Za-z0-9_.-]", "-", stem).lstrip("-_.") or "model"


def load_config(argv: list[str], env: Mapping[str, str] | None = None) -> Config | str:
    """Flags override environment variables; returns "help" for --help."""
    env = os.environ if env is None else env
    by_flag = {flag: key for key, (_, flag, _, _, _) in SETTINGS.items()}
    given: dict[str, str] = {}
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in ("--help", "-h"):
            return "help"
        if not arg.startswith("--"):
            raise ConfigError(f"unexpected argument {arg!r}\n\n{format_help()}")
        flag, eq, value = arg[2:].partition("=")
        if flag not in by_flag:
            raise ConfigError(f"unknown option --{flag}\n\n{format_help()}")
        if not eq:
            if i + 1 >= len(argv):
                raise ConfigError(f"option --{flag} needs a value")
            i += 1
            value = argv[i]
        given[by_flag[flag]] = value
        i += 1
    values: dict[str, Any] = {}
    problems: list[str] = []
    for key, (var, flag, parse, default, _) in SETTINGS.items():
        raw = given.get(key, env.get(var, ""))
        if raw == "":
            values[key] = default
            continue
        try:
            values[key] = parse(raw)
        except ValueError as error:
            problems.append(f"{var} (--{flag}): {error}")
    if values["model"] is None:
        problems.append("KUBESERVE_MODEL (--model): a local .joblib/.pkl path or an http(s):// URL")
    if problems:
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(problems))
    if values["name"] is None:
        values["name"] = _default_name(values["model"])
    return Config(**values)
