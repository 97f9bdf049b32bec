"""STAND-IN for `ray.serve` (tests/standins/README.md): deployment(...).bind(...) as Ray documents it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Application:
    deployment: "Deployment"
    init_args: tuple[Any, ...] = field(default_factory=tuple)


@dataclass
class Deployment:
    func_or_class: type
    name: str

    def bind(self, *args: Any) -> Application:
        return Application(self, args)


def deployment(_cls: type | None = None, *, name: str | None = None, **_options: Any) -> Any:
    def wrap(cls: type) -> Deployment:
        return Deployment(cls, name or cls.__name__)

    return wrap(_cls) if _cls is not None else wrap
