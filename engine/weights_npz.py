"""Weights as a NumPy .npz file: "layer0.weight", "layer0.bias", ..., "inputs", "activations", "metadata".

Read with the same checks as the JSON file (engine/weights.py), bounded in size, and
without ever loading a pickle. NumPy is imported only inside the functions.
"""

from __future__ import annotations

import io
import json
import math
import os
import zipfile
from pathlib import Path
from typing import Any

from engine import weights as _weights
from engine.files import FileProblem, atomic_write_bytes, parse_json, read_bytes_limited
from engine.weights import (
    FORMAT,
    MAX_LAYERS,
    MAX_NPZ_ENTRIES,
    VERSION,
    ModelWeights,
    WeightsError,
    check_file_size,
    check_loadable,
)


def save_npz(weights: ModelWeights, path: str | os.PathLike) -> None:
    """Write "layer0.weight", "layer0.bias", ..., "inputs", "activations" and "metadata" (JSON text)."""
    import numpy as np

    check_loadable(weights)
    arrays = {"inputs": np.array(weights.inputs), "activations": np.array(weights.activations, dtype=str)}
    for i, layer in enumerate(weights.layers):
        arrays[f"layer{i}.weight"] = np.array(layer.weight, dtype=np.float64)
        arrays[f"layer{i}.bias"] = np.array(layer.bias, dtype=np.float64)
    try:
        arrays["metadata"] = np.array(json.dumps(weights.metadata, allow_nan=False))
    except (TypeError, ValueError, RecursionError):
        raise WeightsError("the weights' metadata holds values JSON cannot store: not saved") from None
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    check_file_size(buffer.getbuffer().nbytes)
    atomic_write_bytes(path, buffer.getvalue())


def load_npz(path: str | os.PathLike) -> ModelWeights:
    """Read an .npz written by `save_npz`, with the same checks as `load_json` (no pickles).

    Bounded throughout: the file is read up to the size limit, and so is what its
    entries unpack to, whatever sizes the archive declares (a small zip can claim
    little and unpack to gigabytes).
    """
    name = Path(path).name or str(path)
    try:
        data = read_bytes_limited(path, _weights.MAX_FILE_BYTES, what="weights file")
    except FileProblem as exc:
        raise WeightsError(str(exc)) from None
    if not data:
        raise WeightsError(f"{name} is empty")
    arrays = _npz_arrays(data, name)
    try:
        metadata = parse_json(arrays.get("metadata", "{}"), "its metadata") if "metadata" in arrays else {}
    except (FileProblem, TypeError, AttributeError):
        raise WeightsError(f"{name}: its 'metadata' entry is not JSON text") from None

    def take(key: str) -> Any:
        if key not in arrays:
            raise WeightsError(f"missing {key!r}: not a micrograd-studio .npz weights file")
        return arrays[key]

    activations = take("activations")
    if not isinstance(activations, list) or not 1 <= len(activations) <= MAX_LAYERS:
        raise WeightsError(f"'activations' must be a list of 1 to {MAX_LAYERS} names")
    layers = [
        {"activation": a, "weight": take(f"layer{i}.weight"), "bias": take(f"layer{i}.bias")}
        for i, a in enumerate(activations)
    ]
    d = {
        "format": FORMAT,
        "version": VERSION,
        "inputs": take("inputs"),
        "layers": layers,
        "metadata": metadata,
    }
    return ModelWeights.from_dict(d)


def _npz_arrays(data: bytes, name: str) -> dict[str, Any]:
    """The arrays of an .npz's bytes, as plain Python values; WeightsError for anything unreadable."""
    not_npz = f"{name} is not a readable .npz weights file"
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError):
        raise WeightsError(f"{not_npz}: it is not a zip archive, or a damaged one") from None
    with archive:
        entries = archive.infolist()
        if len(entries) > MAX_NPZ_ENTRIES:
            raise WeightsError(f"{not_npz}: it has {len(entries):,} entries, more than {MAX_NPZ_ENTRIES}")
        if sum(info.file_size for info in entries) > _weights.MAX_FILE_BYTES:
            raise WeightsError(f"{name} unpacks to more than {_weights.MAX_FILE_BYTES:,} bytes: too large")
        arrays: dict[str, Any] = {}
        budget = _weights.MAX_FILE_BYTES
        for info in entries:
            key = info.filename.removesuffix(".npy")
            try:
                with archive.open(info) as member:
                    raw = member.read(budget + 1)  # never more than the limit, whatever the entry declares
            except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError, RuntimeError):
                raise WeightsError(f"{not_npz}: its entry {key!r} is damaged or encrypted") from None
            except Exception:  # a bad compressed stream raises zlib.error, bz2/lzma errors, ...
                raise WeightsError(f"{not_npz}: its entry {key!r} is damaged") from None
            budget -= len(raw)
            if budget < 0:
                raise WeightsError(
                    f"{name} unpacks to more than {_weights.MAX_FILE_BYTES:,} bytes: too large"
                )
            arrays[key] = _npy_value(raw, f"{not_npz}: its entry {key!r}")
    return arrays


def _npy_value(raw: bytes, where: str) -> Any:
    """One .npy entry as plain Python values (`tolist()`), checked against its own length."""
    import numpy as np
    from numpy.lib import format as npy

    stream = io.BytesIO(raw)
    try:
        version = npy.read_magic(stream)
        read_header = npy.read_array_header_1_0 if version == (1, 0) else npy.read_array_header_2_0
        shape, fortran_order, dtype = read_header(stream)
    except Exception:  # numpy reports a bad header with ValueError, TypeError, SyntaxError...
        raise WeightsError(f"{where} is not a NumPy array") from None
    if dtype.hasobject:
        raise WeightsError(f"{where} holds Python objects, which are never loaded (they could run code)")
    count = math.prod(shape)
    if count * dtype.itemsize > len(raw) - stream.tell():
        raise WeightsError(f"{where} is shorter than its header says: the file is truncated")
    try:
        array = np.frombuffer(raw, dtype=dtype, count=count, offset=stream.tell())
        return array.reshape(shape, order="F" if fortran_order else "C").tolist()
    except (ValueError, TypeError):
        raise WeightsError(f"{where} cannot be read as an array") from None
