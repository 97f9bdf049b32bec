"""requirements.txt validation: plain `name[extras] specifier ; marker` lines only."""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass

MAX_BYTES = 1 << 20
MAX_LINES = 1000

_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?"
_VERSION = r"[A-Za-z0-9.*+!_-]+"
_CLAUSE = rf"(?:===|==|!=|<=|>=|~=|<|>)\s*{_VERSION}"
_LINE = re.compile(
    rf"^(?P<name>{_NAME})\s*"
    rf"(?:\[\s*(?P<extras>{_NAME}(?:\s*,\s*{_NAME})*)\s*\])?\s*"
    rf"(?P<spec>{_CLAUSE}(?:\s*,\s*{_CLAUSE})*)?\s*"
    rf"(?:;\s*(?P<marker>[A-Za-z0-9_.<>=!~'\"() ]+))?$"
)
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://|^file:|\s@\s|^@")
_PATH = re.compile(r"^[./~\\]|[/\\]|\.(whl|zip|tar\.gz|tgz|tar\.bz2|egg)$", re.IGNORECASE)


@dataclass(frozen=True)
class Requirement:
    line: int
    name: str
    canonical: str
    extras: list[str]
    specifier: str
    marker: str | None

    def text(self) -> str:
        extras = f"[{','.join(self.extras)}]" if self.extras else ""
        marker = f" ; {self.marker}" if self.marker else ""
        return f"{self.canonical}{extras}{self.specifier}{marker}"


@dataclass(frozen=True)
class LineError:
    line: int
    error: str


@dataclass
class Requirements:
    requirements: list[Requirement]
    errors: list[LineError]

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def digest(self) -> str:
        """Same set of requirements, same digest (order, case and spacing do not matter)."""
        text = "\n".join(sorted(r.text() for r in self.requirements))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def to_json(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "hash": self.digest if self.ok else None,
            "requirements": [asdict(r) for r in self.requirements],
            "errors": [asdict(e) for e in self.errors],
        }


def canonicalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _explain(text: str) -> str:
    if text.startswith("-e") or text.startswith("--editable"):
        return "editable installs (-e) are not allowed"
    if text.startswith(("-r", "--requirement", "-c", "--constraint")):
        return "includes (-r/-c) are not allowed; list the requirements in this file"
    if text.startswith(("-i", "--index-url", "--extra-index-url", "-f", "--find-links", "--trusted-host")):
        return "index options are not allowed here; the platform's pip configuration chooses the index"
    if text.startswith("-"):
        return f"pip options are not allowed ({text.split()[0]})"
    if _URL.search(text):
        return "URLs are not allowed; name a package and a version"
    if _PATH.search(text):
        return "local paths and archives are not allowed; name a package and a version"
    return "not a 'name[extras] specifier ; marker' requirement"


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """Joins backslash continuations; strips comments (a '#' after whitespace, as pip does)."""
    out: list[tuple[int, str]] = []
    pending = ""
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        if not pending:
            start = number
        line = re.sub(r"(^|\s)#.*$", "", raw)
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        out.append((start, (pending + line).strip()))
        pending = ""
    if pending:
        out.append((start, pending.strip()))
    return out


def parse_requirements(data: bytes, max_bytes: int = MAX_BYTES, max_lines: int = MAX_LINES) -> Requirements:
    if len(data) > max_bytes:
        return Requirements([], [LineError(0, f"the file has {len(data)} bytes; at most {max_bytes} are allowed")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return Requirements([], [LineError(0, f"not UTF-8 text: {error}")])
    line_count = len(text.splitlines())
    if line_count > max_lines:
        return Requirements([], [LineError(max_lines + 1, f"the file has {line_count} lines; at most {max_lines} are allowed")])
    requirements: list[Requirement] = []
    errors: list[LineError] = []
    seen: dict[str, int] = {}
    for number, line in _logical_lines(text):
        if not line:
            continue
        match = _LINE.match(line)
        if match is None or _URL.search(line) or _PATH.search(match["name"]):
            errors.append(LineError(number, f"{_explain(line)}: {line[:120]!r}"))
            continue
        canonical = canonicalize(match["name"])
        if canonical in seen:
            errors.append(LineError(number, f"{canonical} is already required on line {seen[canonical]}"))
            continue
        seen[canonical] = number
        extras = sorted({canonicalize(e) for e in (match["extras"] or "").split(",") if e.strip()})
        spec = ",".join(sorted(re.sub(r"\s+", "", c) for c in (match["spec"] or "").split(",") if c.strip()))
        marker = match["marker"].strip() if match["marker"] else None
        requirements.append(Requirement(number, match["name"], canonical, extras, spec, marker))
    return Requirements(requirements, errors)
