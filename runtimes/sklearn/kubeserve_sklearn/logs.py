"""JSON log lines on stdout, pino-shaped (level numbers, time in ms, msg)."""

from __future__ import annotations

import os
import socket
import sys
import time
from typing import Any

from .jsonfast import dumps

LEVELS = {"trace": 10, "debug": 20, "info": 30, "warn": 40, "error": 50, "fatal": 60, "silent": 100}


class Logger:
    def __init__(self, level: str = "info", **bindings: Any) -> None:
        self.threshold = LEVELS[level]
        self.bindings = {"pid": os.getpid(), "hostname": socket.gethostname(), **bindings}

    def child(self, **bindings: Any) -> "Logger":
        out = Logger.__new__(Logger)
        out.threshold = self.threshold
        out.bindings = {**self.bindings, **bindings, "pid": os.getpid()}
        return out

    def log(self, level: str, msg: str, **fields: Any) -> None:
        number = LEVELS[level]
        if number < self.threshold:
            return
        line = {"level": number, "time": int(time.time() * 1000), **self.bindings, **fields, "msg": msg}
        sys.stdout.write(dumps(line, default=str) + "\n")
        sys.stdout.flush()

    def info(self, msg: str, **fields: Any) -> None:
        self.log("info", msg, **fields)

    def warn(self, msg: str, **fields: Any) -> None:
        self.log("warn", msg, **fields)

    def error(self, msg: str, **fields: Any) -> None:
        self.log("error", msg, **fields)
