"""Atomic file writes: a failed save never damages the file that was there."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write `data` to a temporary file beside `path`, then rename it into place.

    The rename is atomic on POSIX and Windows, so readers see either the old
    file or the new one, never half of each; on any error the old file stays.
    """
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent or ".")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write `text` as UTF-8, atomically (see `atomic_write_bytes`)."""
    atomic_write_bytes(path, text.encode("utf-8"))


def read_text_limited(path: str | os.PathLike, max_bytes: int, what: str = "file") -> str:
    """Read a UTF-8 text file, refusing files larger than `max_bytes` with a clear message."""
    target = Path(path)
    size = target.stat().st_size
    if size > max_bytes:
        raise ValueError(
            f"{target.name} is {size:,} bytes, too large to be a {what} (limit {max_bytes:,} bytes)"
        )
    try:
        return target.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{target.name} is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
