"""`python3 -m kubeserve_sklearn.venv --requirements FILE --target DIR` (what packages/k8s runs)."""

from __future__ import annotations

import sys

from .tools_cli import run_tool

if __name__ == "__main__":
    sys.exit(run_tool(["venv", *sys.argv[1:]]))
