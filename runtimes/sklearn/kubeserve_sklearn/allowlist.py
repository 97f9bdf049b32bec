"""The exact module.qualname pairs a pickle may import; an admin may add pairs, nothing else can."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

_DEFAULT_FILE = Path(__file__).with_name("allowed_globals.txt")
_PAIR = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$")


class AllowlistError(ValueError):
    pass


def _split(entry: str, where: str) -> tuple[str, str]:
    if not _PAIR.match(entry):
        raise AllowlistError(f"{where}: {entry!r} is not a module.qualname pair")
    module, _, name = entry.rpartition(".")
    return module, name


def read_entries(text: str, where: str) -> list[tuple[str, str]]:
    pairs = []
    for number, line in enumerate(text.splitlines(), start=1):
        entry = line.split("#", 1)[0].strip()
        if entry:
            pairs.append(_split(entry, f"{where}:{number}"))
    return pairs


class Allowlist:
    """Exact pairs only: ('numpy', 'dtype') allows numpy.dtype and nothing else in numpy."""

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        self._pairs = frozenset(pairs)

    def allows(self, module: str, name: str) -> bool:
        return (module, name) in self._pairs

    def __len__(self) -> int:
        return len(self._pairs)


def load_allowlist(extra: Iterable[str] = (), extra_files: Iterable[str] = ()) -> Allowlist:
    """The built-in list plus admin additions (--allow, --allow-file, KUBESERVE_PICKLE_ALLOW)."""
    pairs = read_entries(_DEFAULT_FILE.read_text(encoding="utf-8"), _DEFAULT_FILE.name)
    for entry in extra:
        if entry.strip():
            pairs.append(_split(entry.strip(), "--allow"))
    for path in extra_files:
        pairs.extend(read_entries(Path(path).read_text(encoding="utf-8"), path))
    return Allowlist(pairs)
