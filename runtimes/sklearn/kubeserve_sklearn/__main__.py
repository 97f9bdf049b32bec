"""python3 -m kubeserve_sklearn [scan|inspect|requirements|venv|serve] ... (no subcommand: serve)."""

from __future__ import annotations

import sys

TOOLS = {"scan", "inspect", "requirements", "venv", "fetch", "_inspect-child"}


def main(argv: list[str]) -> int:
    if argv and argv[0] in TOOLS:
        from .tools_cli import run_tool

        return run_tool(argv)
    from .serve_cli import run_serve

    return run_serve(argv[1:] if argv and argv[0] == "serve" else argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
