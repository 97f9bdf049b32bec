"""Download an artifact over http(s) with a bearer token; kept only when its SHA-256 matches."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import urllib.error
import urllib.request


class FetchError(Exception):
    pass


def fetch_to(url: str, sha256: str, out: str, token: str | None, timeout: float = 60.0) -> int:
    """Writes `out` atomically (a temporary file beside it, renamed); returns its size."""
    if not re.match(r"^https?://", url):
        raise FetchError("--url must be an http(s):// URL")
    expected = sha256.lower()
    if not re.match(r"^[0-9a-f]{64}$", expected):
        raise FetchError("--sha256 must be 64 hex digits")
    folder = os.path.dirname(os.path.abspath(out))
    os.makedirs(folder, exist_ok=True)
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    fd, partial = tempfile.mkstemp(dir=folder, prefix=".part-")
    digest = hashlib.sha256()
    size = 0
    try:
        with os.fdopen(fd, "wb") as handle, urllib.request.urlopen(request, timeout=timeout) as response:
            for chunk in iter(lambda: response.read(1 << 20), b""):
                digest.update(chunk)
                handle.write(chunk)
                size += len(chunk)
        if digest.hexdigest() != expected:
            raise FetchError(f"{url} has SHA-256 {digest.hexdigest()}, expected {expected}")
        os.replace(partial, out)
    except urllib.error.HTTPError as error:
        raise FetchError(f"{url} answered {error.code} {error.reason}") from error
    except (urllib.error.URLError, OSError) as error:
        raise FetchError(f"downloading {url} failed: {error}") from error
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
    return size
