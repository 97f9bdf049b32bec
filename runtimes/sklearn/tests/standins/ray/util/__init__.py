"""STAND-IN for `ray.util` (tests/standins/README.md)."""
