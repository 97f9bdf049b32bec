"""STAND-IN for the `ray` package in tests (see tests/standins/README.md): not Ray."""
