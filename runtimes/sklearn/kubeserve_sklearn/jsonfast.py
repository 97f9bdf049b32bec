"""Compact JSON (the bytes apps/inference sends) from one prebuilt encoder."""

from __future__ import annotations

import json
from typing import Any

_ENCODER = json.JSONEncoder(separators=(",", ":"), default=str)


def dumps(value: Any, default: Any = None) -> str:
    return _ENCODER.encode(value)
