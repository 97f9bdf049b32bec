"""Byte source for the pickle scan: joblib's compression detection and a size-bounded reader."""

from __future__ import annotations

import bz2
import lzma
import os
import zlib
from typing import BinaryIO, Protocol

# joblib.compressor's prefixes, checked in joblib's order (joblib.load detects them the same way).
_ZFILE_PREFIX = b"ZF"
_PREFIXES: list[tuple[str, bytes]] = [
    ("zlib", b"\x78"),
    ("gzip", b"\x1f\x8b"),
    ("bz2", b"BZ"),
    ("lzma", b"\x5d\x00"),
    ("xz", b"\xfd\x37\x7a\x58\x5a"),
    ("lz4", b"\x04\x22\x4d\x18"),
]
_CHUNK = 1 << 20


class ScanError(Exception):
    """The file cannot be scanned (truncated, too large, unsupported format)."""

    refused: list[str] = []


class _Decompressor(Protocol):
    def decompress(self, data: bytes, max_length: int = ...) -> bytes: ...


def detect_compression(head: bytes) -> str:
    """The compressor joblib.load would pick for a file starting with `head`."""
    if head.startswith(_ZFILE_PREFIX):
        return "compat"
    for name, prefix in _PREFIXES:
        if head.startswith(prefix):
            return name
    return "none"


def _make_decompressor(kind: str) -> _Decompressor | None:
    if kind == "zlib":
        return zlib.decompressobj(15)
    if kind == "gzip":
        return zlib.decompressobj(31)
    if kind == "bz2":
        return bz2.BZ2Decompressor()
    if kind == "lzma":
        return lzma.LZMADecompressor(format=lzma.FORMAT_ALONE)
    if kind == "xz":
        return lzma.LZMADecompressor(format=lzma.FORMAT_XZ)
    return None


class BoundedSource:
    """A read-only stream over the (decompressed) pickle bytes that never holds more than
    `max_bytes` in total and refuses reads past the end instead of returning short data."""

    def __init__(self, raw: BinaryIO, max_bytes: int) -> None:
        head = raw.read(8)
        self.compression = detect_compression(head)
        if self.compression == "compat":
            raise ScanError("joblib's pre-0.10 'ZF' format is not supported; re-save the model")
        if self.compression == "lz4":
            raise ScanError("lz4-compressed joblib files are not supported; use zlib, gzip, bz2 or xz")
        self._raw = raw
        self._max = max_bytes
        self._decompressor = _make_decompressor(self.compression)
        self._buffer = bytearray()
        self._offset = 0  # position of _buffer[0] in the decompressed stream
        self._is_raw_done = False
        self._raw_size = _size_of(raw) if self._decompressor is None else None
        self._feed(head)

    def _feed(self, data: bytes) -> None:
        if self._decompressor is None:
            self._buffer += data
            return
        try:
            self._buffer += self._decompressor.decompress(data)
        except (zlib.error, OSError, lzma.LZMAError, EOFError) as error:
            raise ScanError(f"{self.compression} data is corrupt: {error}") from error

    def _fill(self, needed: int) -> None:
        while len(self._buffer) < needed and not self._is_raw_done:
            chunk = self._raw.read(_CHUNK)
            if not chunk:
                self._is_raw_done = True
                break
            self._feed(chunk)
            if self._offset + len(self._buffer) > self._max:
                raise ScanError(f"the pickle is larger than the {self._max}-byte scan limit")

    def tell(self) -> int:
        return self._offset

    def read(self, n: int = -1) -> bytes:
        if n < 0:
            raise ScanError("unbounded read")
        end = self._offset + n
        if end > self._max:
            raise ScanError(
                f"the pickle declares {n} bytes at offset {self._offset}, over the {self._max}-byte scan limit"
            )
        self._fill(n)
        data = bytes(self._buffer[:n])
        del self._buffer[:n]
        self._offset += len(data)
        return data

    def skip(self, n: int, what: str) -> None:
        """Moves past `n` bytes (array data) without copying them, by seeking where the file allows."""
        if self._offset + n > self._max:
            raise ScanError(
                f"the pickle declares {n} bytes at offset {self._offset}, over the {self._max}-byte scan limit"
            )
        take = min(n, len(self._buffer))
        del self._buffer[:take]
        self._offset += take
        remaining = n - take
        if remaining and self._raw_size is not None:
            # Uncompressed and seekable: the raw position is exactly the stream offset here.
            left = self._raw_size - self._offset
            if remaining > left:
                raise ScanError(f"truncated: {what} needs {n} bytes, the file has {take + max(0, left)} left")
            self._raw.seek(remaining, os.SEEK_CUR)
            self._offset += remaining
            return
        while remaining:
            self._fill(min(remaining, _CHUNK))
            if not self._buffer:
                raise ScanError(f"truncated: {what} needs {n} bytes, the file has {n - remaining} left")
            step = min(remaining, len(self._buffer))
            del self._buffer[:step]
            self._offset += step
            remaining -= step

    def read_exact(self, n: int, what: str) -> bytes:
        data = self.read(n)
        if len(data) != n:
            raise ScanError(f"truncated: {what} needs {n} bytes, the file has {len(data)} left")
        return data

    def readline(self) -> bytes:
        out = bytearray()
        while True:
            self._fill(1)
            if not self._buffer:
                return bytes(out)
            i = self._buffer.find(b"\n")
            take = len(self._buffer) if i == -1 else i + 1
            if len(out) + take > 1 << 20:
                raise ScanError("a text opcode argument is longer than 1 MiB")
            out += self._buffer[:take]
            del self._buffer[:take]
            self._offset += take
            if i != -1:
                return bytes(out)


def _size_of(raw: BinaryIO) -> int | None:
    """The file's size when it can be seeked (a real file), else None (read it through)."""
    try:
        if not raw.seekable():
            return None
        return os.fstat(raw.fileno()).st_size
    except (OSError, AttributeError, ValueError):
        return None
