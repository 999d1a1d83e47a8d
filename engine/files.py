"""Reading and writing the app's files safely.

Writes are atomic: a failed save never damages the file that was there, a new file
gets the user's usual permissions (the umask), an existing file keeps its mode,
and saving onto a symlink writes through it to the file it points to.

Reads are bounded: at most `max_bytes + 1` bytes are ever read, whatever the size
the system reports (devices such as /dev/zero and files under /proc report 0),
and only regular files are read at all (a FIFO would block forever). Every
problem becomes a `FileProblem` whose message is about the user's file, so each
loader can turn it into its own error class.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import secrets
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

CHUNK_BYTES = 1 << 20
MAX_INT_DIGITS = 30  # far more digits than any count or seed needs


class FileProblem(ValueError):
    """A file that cannot be read as what it should be, with a message about the file."""


# ---------------------------------------------------------------- writing


def _resolve_write_target(path: str | os.PathLike) -> Path:
    """The file a save should replace: a symlink's target (the link stays a link)."""
    target = Path(path)
    if target.is_symlink():
        return Path(os.path.realpath(target))
    return target


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write `data` to a temporary file beside `path`, then rename it into place.

    The rename is atomic on POSIX and Windows, so readers see either the old
    file or the new one, never half of each; on any error the old file stays.
    """
    target = _resolve_write_target(path)
    try:
        existing = os.stat(target).st_mode
    except FileNotFoundError:
        existing_mode: int | None = None
    else:
        # The rename would put a file where a device, a pipe or a folder is (as root,
        # /dev/null itself): refuse, and leave it as it is.
        if stat.S_ISDIR(existing):
            raise IsADirectoryError(errno.EISDIR, "it is a folder, not a file", str(target))
        if not stat.S_ISREG(existing):
            raise OSError(errno.EINVAL, "it is a device or a pipe, not a file", str(target))
        existing_mode = stat.S_IMODE(existing)
    directory = target.parent
    tmp = directory / f".{target.name}.{secrets.token_hex(4)}.tmp"
    # 0o666 and O_EXCL: the kernel applies the umask, as for any new file the user makes
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            if existing_mode is not None:
                _set_mode(f, tmp, existing_mode)
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _set_mode(f: BinaryIO, path: Path, mode: int) -> None:
    if hasattr(os, "fchmod"):
        os.fchmod(f.fileno(), mode)
    else:  # Windows: only the read-only bit exists
        os.chmod(path, mode)


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write `text` as UTF-8, atomically (see `atomic_write_bytes`)."""
    atomic_write_bytes(path, text.encode("utf-8"))


# ---------------------------------------------------------------- reading


def describe_os_error(exc: OSError, name: str, doing: str = "read") -> str:
    """What went wrong when trying to `doing` ("read" or "write") `name`, in plain words."""
    reasons = {
        errno.ENOENT: "there is no such file" if doing == "read" else "its folder does not exist",
        errno.EACCES: f"permission denied: you may not {doing} it",
        errno.EPERM: f"permission denied: you may not {doing} it",
        errno.ENOSPC: "the disk is full",
        errno.EROFS: "the disk is read-only",
        errno.EISDIR: "it is a folder, not a file",
        errno.ENOTDIR: "a part of its path is not a folder",
        errno.ELOOP: "it is a loop of symbolic links",
        errno.ENAMETOOLONG: "its name is too long",
        errno.EIO: f"the disk reported a {doing} error",
    }
    reason = reasons.get(exc.errno, (exc.strerror or f"the system could not {doing} it").lower())
    return f"cannot {doing} {name}: {reason}"


@contextlib.contextmanager
def open_regular_file(path: str | os.PathLike, what: str = "file") -> Iterator[BinaryIO]:
    """Open `path` for reading in binary, refusing anything but a regular file.

    Opened non-blocking so that a FIFO cannot hang the app before it is refused.
    """
    name = Path(path).name or str(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise FileProblem(describe_os_error(exc, name)) from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise FileProblem(f"cannot read {name}: it is a folder, not a file")
        if not stat.S_ISREG(mode):
            raise FileProblem(f"cannot read {name}: it is a device or a pipe, not a {what}")
        f = os.fdopen(fd, "rb", buffering=0)
    except BaseException:
        os.close(fd)
        raise
    with f:
        yield f


def too_large(name: str, max_bytes: int, what: str) -> FileProblem:
    return FileProblem(f"{name} is larger than {max_bytes:,} bytes, too large to be a {what}")


def read_bytes_limited(path: str | os.PathLike, max_bytes: int, what: str = "file") -> bytes:
    """The bytes of a regular file, refusing it once more than `max_bytes` have been read.

    The size the system reports is used only to refuse early: it can be wrong (files
    under /proc report 0, and a file can grow while it is read).
    """
    name = Path(path).name or str(path)
    chunks: list[bytes] = []
    total = 0
    with open_regular_file(path, what) as f:
        if os.fstat(f.fileno()).st_size > max_bytes:
            raise too_large(name, max_bytes, what)
        try:
            while True:
                chunk = f.read(min(CHUNK_BYTES, max_bytes + 1 - total))
                if not chunk:
                    break
                chunks.append(chunk)
                total += len(chunk)
                if total > max_bytes:
                    raise too_large(name, max_bytes, what)
        except OSError as exc:
            raise FileProblem(describe_os_error(exc, name)) from None
    return b"".join(chunks)


def decode_utf8(data: bytes, name: str) -> str:
    """UTF-8 text, without the byte-order mark some editors (and Excel) put first."""
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        where = f"byte {exc.start + 1:,} cannot be read as a character"
        raise FileProblem(f"{name} is not UTF-8 text: {where}") from None


def read_text_limited(path: str | os.PathLike, max_bytes: int, what: str = "file") -> str:
    """Read a UTF-8 text file (a byte-order mark is dropped), refusing files larger than `max_bytes`."""
    return decode_utf8(read_bytes_limited(path, max_bytes, what), Path(path).name or str(path))


# ---------------------------------------------------------------- JSON


def describe_value(value: object) -> str:
    """A short JSON-speak name for a value read from a file, for messages: never its full text.

    >>> describe_value(True), describe_value([1]), describe_value("0.1"), describe_value(1e6)
    ('true', 'a list', "the text '0.1'", '1000000.0')
    """
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    if isinstance(value, (list, dict)):
        return "a list" if isinstance(value, list) else "an object"
    if isinstance(value, str):
        return f"the text {value[:20]!r}" + ("..." if len(value) > 20 else "")
    text = repr(value)
    return text if len(text) <= 24 else text[:21] + "..."


_JSON_REASONS = {
    "Expecting value": "a value is missing or is not JSON",
    "Expecting ',' delimiter": "a comma is missing",
    "Expecting ':' delimiter": "a colon is missing",
    "Expecting property name enclosed in double quotes": "a key must be text in double quotes",
    "Unterminated string starting at": "a string is not closed",
    "Invalid control character at": "a string holds a control character",
    "Invalid \\escape": "a string holds an invalid escape",
    "Invalid \\uXXXX escape": "a string holds an invalid \\u escape",
    "Extra data": "there is more text after the end of the JSON",
}


def _refuse_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict:
    d = dict(pairs)
    if len(d) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise FileProblem(f"the key {_short(key)} appears twice in one object; which one is meant?")
            seen.add(key)
    return d


def _parse_int(text: str) -> int | float:
    # Python refuses to convert integers of thousands of digits (and slowly converts long
    # ones): a too-long integer becomes a float (inf beyond 1e308), which every field
    # meant for a whole number refuses, naming the field.
    return int(text) if len(text) <= MAX_INT_DIGITS else float(text)


# Every byte but a digit becomes a space: a run of MAX_INT_DIGITS + 1 zeros in the result is a
# run of digits that long in the text (a long integer, or digits in a string or a float)
_DIGITS_ONLY = bytes(ord("0") if ord("0") <= byte <= ord("9") else ord(" ") for byte in range(256))
_LONG_DIGIT_RUN = b"0" * (MAX_INT_DIGITS + 1)


def _may_hold_long_integers(text: str) -> bool:
    """Whether `text` has a run of more than MAX_INT_DIGITS digits. Files this app writes have none
    (a float's digits are at most 17), and without one every integer is short, so `_parse_int` is
    not needed: calling it for each integer made parsing three times slower."""
    return _LONG_DIGIT_RUN in text.encode("utf-8", "surrogatepass").translate(_DIGITS_ONLY)


def _refuse_constant(name: str) -> float:
    raise FileProblem(f"it holds {name}, which is not a number standard JSON allows here")


def _short(text: str) -> str:
    return repr(text) if len(text) <= 40 else repr(text[:37] + "...")


def parse_json(text: str, name: str, allow_nan: bool = False) -> Any:
    """Parse the JSON text of file `name`; every problem is a `FileProblem` about the file.

    Refuses duplicate keys, integers too long to be meant, and (unless
    `allow_nan`) the NaN/Infinity literals Python writes but JSON does not allow.
    """
    if not text.strip():
        raise FileProblem(f"{name} is empty")
    kwargs: dict[str, Any] = {"object_pairs_hook": _refuse_duplicate_keys}
    if _may_hold_long_integers(text):
        kwargs["parse_int"] = _parse_int
    if not allow_nan:
        kwargs["parse_constant"] = _refuse_constant
    try:
        return json.loads(text, **kwargs)
    except json.JSONDecodeError as exc:
        reason = _JSON_REASONS.get(exc.msg, exc.msg.lower())
        raise FileProblem(
            f"{name} is not valid JSON (line {exc.lineno}, column {exc.colno}): {reason}"
        ) from None
    except RecursionError:  # "[[[[..." a hundred thousand deep
        raise FileProblem(f"{name} is not usable: its JSON is nested far too deeply") from None
    except FileProblem as exc:
        raise FileProblem(f"{name} is not usable: {exc}") from None
    except ValueError:  # the last guard: any other number the parser cannot convert
        raise FileProblem(f"{name} is not usable: it holds a number that cannot be read") from None


@dataclass(frozen=True)
class JsonLimits:
    """The most a JSON file of one kind may hold, checked before it is parsed.

    The bytes alone do not bound the work: 50 MB of "0," is 25 million values, and 36 MB
    of "[0]," 9 million lists, seconds of parsing (in the window's thread) for a file
    refused anyway. Both are counted at memory speed: values by their commas (n values in
    a list take n - 1), lists and objects by their openings.
    """

    bytes: int
    values: int
    containers: int  # lists and objects


def read_json_limited(path: str | os.PathLike, limits: JsonLimits, what: str, allow_nan: bool = False) -> Any:
    """Read and parse a JSON file within `limits` (see `parse_json`); a `what` holds no more."""
    name = Path(path).name or str(path)
    text = read_text_limited(path, limits.bytes, what)
    if text.count(",") >= limits.values:
        raise FileProblem(f"{name} holds more than {limits.values:,} values, more than a {what} can hold")
    if text.count("[") + text.count("{") > limits.containers:
        raise FileProblem(
            f"{name} holds more than {limits.containers:,} lists and objects, more than a {what} can hold"
        )
    return parse_json(text, name, allow_nan)
