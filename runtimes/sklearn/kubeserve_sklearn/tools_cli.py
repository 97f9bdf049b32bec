"""`scan`, `inspect`, `requirements` and `venv`: one JSON object on stdout, exit 0 / 2 / 1."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any, NoReturn

from .allowlist import Allowlist, AllowlistError, load_allowlist
from .fetch import FetchError, fetch_to
from .inspect_model import inspect_file, run_child
from .jsonfast import dumps
from .pickle_scan import scan_file
from .pickle_source import ScanError
from .requirements import MAX_BYTES, MAX_LINES, parse_requirements
from .sandbox import Limits
from .venv_builder import VenvError, build_venv, build_venv_at

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_REFUSED = 2
EXIT_USAGE = 64
DEFAULT_SCAN_MAX_BYTES = 1 << 30


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        print(f"kubeserve_sklearn: {message}", file=sys.stderr)
        sys.exit(EXIT_USAGE)


def _emit(answer: dict[str, Any], code: int) -> int:
    sys.stdout.write(dumps(answer, default=str) + "\n")
    return code


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


def _add_scan_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("file")
    p.add_argument("--allow", action="append", default=[], help="extra module.qualname (admin)")
    p.add_argument("--allow-file", action="append", default=[], help="file of extra module.qualname lines")
    p.add_argument("--max-bytes", type=int, default=_env_int("KUBESERVE_SCAN_MAX_BYTES", DEFAULT_SCAN_MAX_BYTES))


def _allowlist(args: argparse.Namespace) -> Allowlist:
    extra = [e for e in os.environ.get("KUBESERVE_PICKLE_ALLOW", "").split(",") if e.strip()]
    files = [f for f in [os.environ.get("KUBESERVE_PICKLE_ALLOW_FILE", "")] if f]
    return load_allowlist([*extra, *args.allow], [*files, *args.allow_file])


def _scan(args: argparse.Namespace) -> int:
    try:
        result = scan_file(args.file, _allowlist(args), args.max_bytes)
    except ScanError as error:
        return _emit({"ok": False, "error": str(error), "globals": [], "refused": error.refused}, EXIT_REFUSED)
    answer = {
        "ok": result.ok,
        "globals": result.globals,
        "refused": result.refused,
        "arrays": result.arrays,
        "compression": result.compression,
    }
    if not result.ok:
        answer["error"] = f"refused globals: {', '.join(result.refused)}"
    return _emit(answer, EXIT_OK if result.ok else EXIT_REFUSED)


def _inspect(args: argparse.Namespace) -> int:
    limits = Limits(
        cpu_seconds=args.cpu_seconds,
        wall_seconds=args.timeout,
        memory_bytes=args.memory_bytes,
    )
    code, answer = inspect_file(args.file, _allowlist(args), args.max_bytes, limits)
    return _emit(answer, code)


def _requirements(args: argparse.Namespace) -> int:
    with open(args.file, "rb") as handle:
        data = handle.read(args.max_bytes + 1)
    parsed = parse_requirements(data, args.max_bytes, args.max_lines)
    return _emit(parsed.to_json(), EXIT_OK if parsed.ok else EXIT_REFUSED)


def _venv(args: argparse.Namespace) -> int:
    with open(args.requirements, "rb") as handle:
        data = handle.read(MAX_BYTES + 1)
    parsed = parse_requirements(data)
    if not parsed.ok:
        return _emit({**parsed.to_json(), "error": "invalid requirements.txt"}, EXIT_REFUSED)
    if (args.root is None) == (args.target is None):
        print("kubeserve_sklearn venv: give exactly one of --root (per-hash venvs) or --target (one venv)", file=sys.stderr)
        return EXIT_USAGE
    try:
        if args.root is not None:
            result = build_venv(parsed, args.root, args.pip_arg, args.timeout)
        else:
            result = build_venv_at(parsed, args.target, args.pip_arg, args.timeout)
    except VenvError as error:
        return _emit({"ok": False, "error": str(error), "pipTail": error.pip_tail}, EXIT_FAILED)
    return _emit(result.to_json(), EXIT_OK)


def _fetch(args: argparse.Namespace) -> int:
    token = os.environ.get("KUBESERVE_MODEL_TOKEN") or None
    try:
        size = fetch_to(args.url, args.sha256, args.out, token)
    except FetchError as error:
        return _emit({"ok": False, "error": str(error)}, EXIT_FAILED)
    return _emit({"ok": True, "path": args.out, "bytes": size}, EXIT_OK)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python3 -m kubeserve_sklearn")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    p = sub.add_parser("scan", help="pickle safety scan (never unpickles)")
    _add_scan_options(p)
    p.set_defaults(run=_scan)
    p = sub.add_parser("inspect", help="scan, then load in a sandboxed child: signature + metadata")
    _add_scan_options(p)
    p.add_argument("--timeout", type=float, default=float(_env_int("KUBESERVE_INSPECT_TIMEOUT_S", 60)))
    p.add_argument("--cpu-seconds", type=int, default=_env_int("KUBESERVE_INSPECT_CPU_S", 30))
    p.add_argument("--memory-bytes", type=int, default=_env_int("KUBESERVE_INSPECT_MEMORY_BYTES", 4 << 30))
    p.set_defaults(run=_inspect)
    p = sub.add_parser("requirements", help="validate a requirements.txt")
    p.add_argument("file")
    p.add_argument("--max-bytes", type=int, default=MAX_BYTES)
    p.add_argument("--max-lines", type=int, default=MAX_LINES)
    p.set_defaults(run=_requirements)
    p = sub.add_parser("venv", help="build or reuse the venv for a requirements.txt")
    p.add_argument("--requirements", required=True)
    p.add_argument("--root", help="folder of per-hash venvs (local runtime)")
    p.add_argument("--target", help="build one venv at exactly this folder (Kubernetes init container)")
    p.add_argument("--pip-arg", action="append", default=[], help="extra pip install argument (admin)")
    p.add_argument("--timeout", type=float, default=600.0)
    p.set_defaults(run=_venv)
    p = sub.add_parser("fetch", help="download URL to PATH when its SHA-256 matches (init containers)")
    p.add_argument("--url", required=True)
    p.add_argument("--sha256", required=True)
    p.add_argument("--out", required=True)
    p.set_defaults(run=_fetch)
    p = sub.add_parser("_inspect-child")
    p.add_argument("--fd", type=int, required=True)
    p.set_defaults(run=lambda a: run_child(a.fd))
    return parser


def run_tool(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except AllowlistError as error:
        print(f"kubeserve_sklearn: {error}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as error:
        return _emit({"ok": False, "error": f"{error.strerror}: {error.filename}"}, EXIT_FAILED)
