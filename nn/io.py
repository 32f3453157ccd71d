"""Weights files: named NumPy arrays plus str->str metadata, in the safetensors format.

The format is an 8-byte little-endian header length, a JSON header (each tensor's dtype, shape
and byte range, plus ``__metadata__``), then the raw little-endian tensor bytes. It holds data
only: loading parses JSON and copies bytes, and never unpickles or executes anything.

Guarantees: saving is atomic (``nn.files.atomic_write``: a crash leaves the old file or the
new one, never a mix; the file's mode and a symbolic link are kept);
loading checks the whole file before returning; ``validate_state`` checks every name, shape
and dtype against a model before the caller changes any weight.
"""

from __future__ import annotations

import json
import os
import struct
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import safetensors.numpy

from .files import atomic_write

__all__ = [
    "FORMAT_KEY",
    "FORMAT_VERSION",
    "StateMismatchError",
    "WeightsFileError",
    "atomic_write",
    "load_state",
    "save_state",
    "validate_state",
]

FORMAT_KEY = "autograd_core.format_version"
FORMAT_VERSION = "1"

# safetensors dtype codes that NumPy can hold, and back
_CODES = {
    "BOOL": np.dtype(np.bool_),
    "U8": np.dtype(np.uint8),
    "I8": np.dtype(np.int8),
    "U16": np.dtype(np.uint16),
    "I16": np.dtype(np.int16),
    "U32": np.dtype(np.uint32),
    "I32": np.dtype(np.int32),
    "U64": np.dtype(np.uint64),
    "I64": np.dtype(np.int64),
    "F16": np.dtype(np.float16),
    "F32": np.dtype(np.float32),
    "F64": np.dtype(np.float64),
    "C64": np.dtype(np.complex64),
}
_SUPPORTED = {dtype.name for dtype in _CODES.values()}
# the reference implementation refuses headers over 100 MB; a bigger claim means a foreign file
_MAX_HEADER = 100_000_000


class WeightsFileError(ValueError):
    """A file is not a readable weights file (foreign, truncated or damaged)."""


class StateMismatchError(ValueError):
    """Loaded weights do not fit the model: missing, unexpected or misshapen parameters."""

    def __init__(
        self,
        message: str,
        missing: list[str],
        unexpected: list[str],
        mismatched: list[tuple[str, Any, Any]],
    ) -> None:
        super().__init__(message)
        self.missing = missing
        self.unexpected = unexpected
        self.mismatched = mismatched


# ---- saving ----


def _prepare(state: Mapping[str, Any]) -> dict[str, np.ndarray]:
    if not isinstance(state, Mapping):
        raise TypeError(
            f"save_state: state must be a dict of name -> array, got {type(state).__name__}"
        )
    arrays = {}
    for name, value in state.items():
        if not isinstance(name, str):
            raise TypeError(f"save_state: parameter names must be str, got {name!r}")
        array = np.asarray(value)
        if array.dtype.name not in _SUPPORTED:
            raise TypeError(
                f"save_state: parameter {name!r} has dtype {array.dtype}, which a "
                f"weights file cannot hold (supported: {', '.join(sorted(_SUPPORTED))})"
            )
        # safetensors copies raw memory, so the bytes must be dense and in C order
        # (np.ascontiguousarray would turn a 0-d array into shape (1,))
        arrays[name] = array if array.flags.c_contiguous else array.copy(order="C")
    return arrays


def _prepare_metadata(metadata: Mapping[str, str] | None) -> dict[str, str]:
    metadata = dict(metadata or {})
    for key, value in metadata.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError(
                f"save_state: metadata must map str to str, got {key!r}: {type(value).__name__}"
            )
    if metadata.setdefault(FORMAT_KEY, FORMAT_VERSION) != FORMAT_VERSION:
        raise ValueError(
            f"save_state: metadata key {FORMAT_KEY!r} is reserved (it is always {FORMAT_VERSION!r})"
        )
    return metadata


def save_state(
    path: str | os.PathLike, state: Mapping[str, Any], metadata: Mapping[str, str] | None = None
) -> None:
    """Write named arrays and str->str metadata to a safetensors file, atomically."""
    arrays = _prepare(state)
    stored = _prepare_metadata(metadata)
    try:
        data = safetensors.numpy.save(arrays, metadata=stored)
    except Exception as exc:
        raise ValueError(f"save_state: cannot serialize weights for {path}: {exc}") from exc
    atomic_write(path, data)


# ---- loading ----


def _sniff(head: bytes) -> str | None:
    """Name well-known foreign formats, so the error says what the file is."""
    if head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        return "a Python pickle (weights files are never unpickled)"
    if head[:4] == b"PK\x03\x04":
        return "a zip archive (such as a NumPy .npz or a PyTorch .pt file)"
    if head[:6] == b"\x93NUMPY":
        return "a NumPy .npy file"
    if head[:8] == b"\x89HDF\r\n\x1a\n":
        return "an HDF5 file (such as a Keras .h5 file)"
    return None


def _parse_header(path: Path, data: bytes) -> dict[str, Any]:
    def fail(reason: str) -> WeightsFileError:
        foreign = _sniff(data[:8])
        if foreign:
            reason = f"this is {foreign}, not a weights file"
        return WeightsFileError(f"{path}: not a readable weights file: {reason}")

    if len(data) < 8:
        raise fail(f"{len(data)} bytes is shorter than the 8-byte header length")
    (size,) = struct.unpack("<Q", data[:8])
    if size > _MAX_HEADER or size > len(data) - 8:
        raise fail(
            f"the header claims {size} bytes but the file has {len(data) - 8} after "
            f"the length field (truncated, or not a safetensors file)"
        )
    try:
        header = json.loads(data[8 : 8 + size].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise fail(f"the header is not valid JSON ({exc})") from None
    if not isinstance(header, dict):
        raise fail("the header is not a JSON object")

    available = len(data) - 8 - size
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if not isinstance(info, dict) or not {"dtype", "shape", "data_offsets"} <= info.keys():
            raise fail(f"tensor {name!r} has a malformed entry {info!r}")
        if info["dtype"] not in _CODES:
            raise fail(f"tensor {name!r} has dtype {info['dtype']}, which NumPy cannot hold")
        offsets, shape = info["data_offsets"], info["shape"]
        if not (isinstance(shape, list) and all(isinstance(d, int) and d >= 0 for d in shape)):
            raise fail(f"tensor {name!r} has a malformed shape {shape!r}")
        if not (
            isinstance(offsets, list)
            and len(offsets) == 2
            and all(isinstance(o, int) for o in offsets)
            and 0 <= offsets[0] <= offsets[1]
        ):
            raise fail(f"tensor {name!r} has malformed data offsets {offsets!r}")
        begin, end = offsets
        if end > available:
            raise fail(
                f"tensor {name!r} needs bytes {begin}..{end} of the data section, which "
                f"has only {available} (the file is truncated)"
            )
    metadata = header.get("__metadata__") or {}
    if not isinstance(metadata, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()
    ):
        raise fail("__metadata__ is not a str -> str mapping")
    version = metadata.get(FORMAT_KEY, FORMAT_VERSION)
    if version != FORMAT_VERSION:
        raise WeightsFileError(
            f"{path}: weights format version {version!r} is not supported "
            f"(this version reads {FORMAT_VERSION!r})"
        )
    return header


def load_state(
    path: str | os.PathLike,
    expected: Mapping[str, tuple[tuple[int, ...], Any]] | None = None,
    strict: bool = True,
) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Read (state, metadata) from a weights file; with `expected`, validate_state it first."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        raise WeightsFileError(f"{path}: is a folder, not a weights file") from None
    header = _parse_header(path, data)
    try:
        # the reference parser re-checks every offset, overlap and length that we did not
        arrays = safetensors.numpy.load(data)
    except Exception as exc:
        raise WeightsFileError(f"{path}: not a readable weights file: {exc}") from exc
    # own, writable copies: the arrays must not pin the whole file's bytes or be read-only
    state = {name: np.array(array, copy=True) for name, array in arrays.items()}
    if expected is not None:
        validate_state(expected, state, source=path, strict=strict)
    return state, dict(header.get("__metadata__") or {})


# ---- validation ----


def _shape_and_dtype(value: Any) -> tuple[tuple[int, ...], np.dtype | None]:
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return tuple(value.shape), np.dtype(value.dtype)
    shape, dtype = value
    return tuple(shape), None if dtype is None else np.dtype(dtype)


def validate_state(
    expected: Mapping[str, Any],
    found: Mapping[str, Any],
    *,
    source: str | os.PathLike | None = None,
    strict: bool = True,
) -> None:
    """Check found against expected (name -> (shape, dtype) or array); raise on any difference.

    A dtype of None in ``expected`` accepts any dtype. With ``strict=False``, missing and
    unexpected names are allowed, but the shapes of shared names must still agree. Every
    problem is listed in one StateMismatchError, so nothing is changed on a partial match.
    """
    missing = [name for name in expected if name not in found]
    unexpected = [name for name in found if name not in expected]
    mismatched = []
    problems = []
    for name in expected:
        if name not in found:
            continue
        want_shape, want_dtype = _shape_and_dtype(expected[name])
        got_shape, got_dtype = _shape_and_dtype(found[name])
        if want_shape != got_shape:
            mismatched.append((name, want_shape, got_shape))
            problems.append(f"parameter {name!r}: expected shape {want_shape}, found {got_shape}")
        elif want_dtype is not None and got_dtype is not None and want_dtype != got_dtype:
            mismatched.append((name, want_dtype, got_dtype))
            problems.append(f"parameter {name!r}: expected dtype {want_dtype}, found {got_dtype}")
    if strict:
        if missing:
            problems.append(f"missing: {', '.join(map(repr, missing))}")
        if unexpected:
            problems.append(f"unexpected: {', '.join(map(repr, unexpected))}")
    if problems:
        where = f" in {source}" if source is not None else ""
        raise StateMismatchError(
            f"weights{where} do not match the model:\n  " + "\n  ".join(problems),
            missing,
            unexpected,
            mismatched,
        )
