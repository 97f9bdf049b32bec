"""STAND-IN for `ray.util.metrics` (tests/standins/README.md): records what is reported in RECORDED."""

from __future__ import annotations

from typing import Any

RECORDED: list[tuple[str, str, float, dict[str, str]]] = []


class _Metric:
    kind = "metric"

    def __init__(self, name: str, description: str = "", tag_keys: tuple[str, ...] | None = None, **_: Any) -> None:
        self.name = name
        self.tag_keys = tuple(tag_keys or ())

    def _record(self, value: float, tags: dict[str, str] | None) -> None:
        given = dict(tags or {})
        # Ray raises on tags that were not declared, and on declared ones left without a value.
        if set(given) != set(self.tag_keys):
            raise ValueError(f"{self.name}: tags {sorted(given)} do not match tag_keys {sorted(self.tag_keys)}")
        RECORDED.append((self.kind, self.name, value, given))


class Counter(_Metric):
    kind = "counter"

    def inc(self, value: float = 1.0, tags: dict[str, str] | None = None) -> None:
        if value <= 0:
            raise ValueError("value must be > 0")
        self._record(value, tags)


class Gauge(_Metric):
    kind = "gauge"

    def set(self, value: float, tags: dict[str, str] | None = None) -> None:
        self._record(value, tags)


class Histogram(_Metric):
    kind = "histogram"

    def __init__(self, name: str, description: str = "", boundaries: list[float] | None = None, tag_keys: tuple[str, ...] | None = None) -> None:
        super().__init__(name, description, tag_keys)
        if not boundaries:
            raise ValueError("boundaries must be a non-empty list")
        self.boundaries = boundaries

    def observe(self, value: float, tags: dict[str, str] | None = None) -> None:
        self._record(value, tags)
