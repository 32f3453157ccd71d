"""nn.io: safetensors weights files, atomic saving, refusal of foreign and pickled files."""

import io as pyio
import json
import os
import pathlib
import pickle
import struct
import zipfile

import numpy as np
import pytest
import safetensors.numpy

import autograd_core.files
from nn.io import (
    FORMAT_KEY,
    StateMismatchError,
    WeightsFileError,
    load_state,
    save_state,
    validate_state,
)


def sample_state():
    rng = np.random.default_rng(0)
    return {
        "dense.kernel": rng.standard_normal((3, 4)).astype(np.float32),
        "dense.bias": rng.standard_normal(4),  # float64
        "steps": np.array(7, dtype=np.int64),  # 0-d
        "mask": np.array([True, False, True]),
        "empty": np.zeros((0, 5), dtype=np.float32),
        "transposed": rng.standard_normal((4, 2)).T,  # not C-contiguous
        "big_endian": np.arange(5, dtype=">f8"),
        "special": np.array([np.nan, np.inf, -np.inf, -0.0, 5e-324]),
    }


def leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


# ---- round trip ----


def test_round_trip_is_bit_identical_with_dtypes_and_shapes(tmp_path):
    state = sample_state()
    path = tmp_path / "model.safetensors"
    save_state(path, state, {"architecture": "Dense(4)", "note": "ünïcode"})
    loaded, metadata = load_state(path)
    assert set(loaded) == set(state)
    for name, array in state.items():
        got = loaded[name]
        assert got.shape == array.shape, name
        assert got.dtype == array.dtype.newbyteorder("="), name
        assert got.tobytes() == array.astype(array.dtype.newbyteorder("=")).tobytes(), name
        assert got.flags.writeable, name
    assert metadata == {"architecture": "Dense(4)", "note": "ünïcode", FORMAT_KEY: "1"}


def test_saved_file_is_plain_safetensors(tmp_path):
    path = tmp_path / "w.safetensors"
    save_state(path, {"w": np.arange(6, dtype=np.float32).reshape(2, 3)}, {"a": "b"})
    np.testing.assert_array_equal(
        safetensors.numpy.load_file(path)["w"], np.arange(6).reshape(2, 3)
    )
    with safetensors.safe_open(path, framework="np") as f:
        assert f.metadata() == {"a": "b", FORMAT_KEY: "1"}
    # and a file written by safetensors itself (no format key) loads too
    safetensors.numpy.save_file({"x": np.ones(2)}, tmp_path / "plain.safetensors")
    state, metadata = load_state(tmp_path / "plain.safetensors")
    np.testing.assert_array_equal(state["x"], [1.0, 1.0])
    assert metadata == {}


def test_save_accepts_array_likes_and_empty_states(tmp_path):
    save_state(tmp_path / "a", {"x": [[1.0, 2.0]], "s": 3.5})
    state, _ = load_state(tmp_path / "a")
    assert state["x"].shape == (1, 2) and state["s"].shape == () and state["s"] == 3.5
    save_state(tmp_path / "b", {})
    assert load_state(tmp_path / "b")[0] == {}


@pytest.mark.parametrize(
    "state, metadata, error, message",
    [
        ({"x": np.array([object()])}, None, TypeError, "parameter 'x' has dtype object"),
        ({"x": np.array(["a"])}, None, TypeError, "parameter 'x' has dtype <U1"),
        ({"x": np.zeros(2, np.complex128)}, None, TypeError, "'x' has dtype complex128"),
        ({1: np.zeros(2)}, None, TypeError, "names must be str"),
        ([np.zeros(2)], None, TypeError, "dict of name -> array"),
        ({"x": np.zeros(2)}, {"epochs": 3}, TypeError, "metadata must map str to str"),
        ({"x": np.zeros(2)}, {FORMAT_KEY: "2"}, ValueError, "reserved"),
    ],
)
def test_save_rejects_what_a_weights_file_cannot_hold(tmp_path, state, metadata, error, message):
    with pytest.raises(error, match=message):
        save_state(tmp_path / "w.safetensors", state, metadata)
    assert list(tmp_path.iterdir()) == []


# ---- atomic saving ----


def test_failed_save_leaves_the_old_file_and_no_temporaries(tmp_path):
    path = tmp_path / "model.safetensors"
    save_state(path, {"w": np.ones(3)}, {"v": "old"})
    before = path.read_bytes()
    with pytest.raises(TypeError, match="'bad'"):
        save_state(path, {"w": np.zeros(3), "bad": np.array([{}], dtype=object)})
    assert path.read_bytes() == before
    assert leftovers(tmp_path) == []


def test_crash_midway_through_writing_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "model.safetensors"
    save_state(path, {"w": np.ones(1000)})
    before = path.read_bytes()

    def crash(out, data):
        out.write(data[: len(data) // 2])
        out.flush()
        raise OSError("disk full")

    monkeypatch.setattr(autograd_core.files, "_write_all", crash)
    with pytest.raises(OSError, match="disk full"):
        save_state(path, {"w": np.zeros(1000)})
    assert path.read_bytes() == before
    assert leftovers(tmp_path) == []
    np.testing.assert_array_equal(load_state(path)[0]["w"], np.ones(1000))


def test_crash_on_a_first_save_leaves_nothing(tmp_path, monkeypatch):
    def crash(out, data):
        out.write(data[:10])
        raise KeyboardInterrupt

    monkeypatch.setattr(autograd_core.files, "_write_all", crash)
    with pytest.raises(KeyboardInterrupt):
        save_state(tmp_path / "new.safetensors", {"w": np.ones(3)})
    assert list(tmp_path.iterdir()) == []


def test_save_replaces_the_old_file_and_respects_the_umask(tmp_path):
    path = tmp_path / "model.safetensors"
    save_state(path, {"w": np.ones(2)})
    save_state(path, {"w": np.full(2, 2.0)})
    np.testing.assert_array_equal(load_state(path)[0]["w"], [2.0, 2.0])
    old_umask = os.umask(0o022)
    try:
        save_state(path, {"w": np.ones(2)})
    finally:
        os.umask(old_umask)
    assert path.stat().st_mode & 0o777 == 0o644
    assert leftovers(tmp_path) == []


# ---- never unpickle ----


class Payload:
    """Unpickling this creates the marker file: proof that a loader ran pickled code."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (pathlib.Path.touch, (pathlib.Path(self.marker),))


def test_payload_really_runs_when_unpickled(tmp_path):
    # guards the tests below: the payload is live, so its silence there means something
    marker = tmp_path / "ran"
    pickle.loads(pickle.dumps(Payload(marker)))
    assert marker.exists()


def _pickle_file(path, marker):
    path.write_bytes(pickle.dumps(Payload(marker), protocol=4))


def _zip_file(path, marker):
    with zipfile.ZipFile(path, "w") as archive:  # a PyTorch .pt file is laid out like this
        archive.writestr("archive/data.pkl", pickle.dumps(Payload(marker)))


def _npy_file(path, marker):
    with open(path, "wb") as fh:
        np.save(fh, np.array([Payload(marker)], dtype=object), allow_pickle=True)


def _disguised_file(path, marker):
    # a plausible length prefix, then a pickle where the JSON header should be
    body = pickle.dumps(Payload(marker))
    path.write_bytes(struct.pack("<Q", len(body)) + body)


@pytest.mark.parametrize(
    "write, message",
    [
        (_pickle_file, "Python pickle"),
        (_zip_file, "zip archive"),
        (_npy_file, "NumPy .npy"),
        (_disguised_file, "not valid JSON"),
    ],
)
def test_pickled_payloads_are_refused_unexecuted(tmp_path, write, message):
    marker = tmp_path / "marker"
    path = tmp_path / "evil.safetensors"
    write(path, marker)
    with pytest.raises(WeightsFileError, match=message) as info:
        load_state(path)
    assert str(path) in str(info.value)
    assert not marker.exists()


# ---- foreign, truncated and damaged files ----


def _valid_bytes():
    return safetensors.numpy.save({"w": np.arange(10.0)})


def _with_header(header: dict, data: bytes = b"") -> bytes:
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + data


def _npz_bytes():
    buffer = pyio.BytesIO()
    np.savez(buffer, w=np.ones(3))
    return buffer.getvalue()


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "shorter than the 8-byte header length"),
        (b"\x01\x02\x03", "shorter than the 8-byte header length"),
        (np.random.default_rng(0).bytes(256), "header claims"),
        (_npz_bytes(), "zip archive"),
        (struct.pack("<Q", 1000) + b"{}", "header claims 1000 bytes but the file has 2"),
        (_valid_bytes()[:-8], "truncated"),
        (
            _with_header({"w": {"dtype": "F64", "shape": [4], "data_offsets": [0, 32]}}, bytes(16)),
            "truncated",
        ),
        (
            _with_header({"w": {"dtype": "F64", "shape": [2], "data_offsets": [0, 8]}}, bytes(8)),
            "not a readable weights file",
        ),
        (
            _with_header({"w": {"dtype": "BF16", "shape": [1], "data_offsets": [0, 2]}}, bytes(2)),
            "BF16, which NumPy cannot hold",
        ),
        (
            _with_header({"w": {"dtype": "F32", "shape": "x", "data_offsets": [0, 4]}}, bytes(4)),
            "malformed shape",
        ),
        (
            _with_header({"w": {"dtype": "F32", "shape": [1], "data_offsets": [4]}}, bytes(4)),
            "malformed data offsets",
        ),
        (_with_header({"w": [1, 2]}), "malformed entry"),
        (_with_header({"__metadata__": {"epochs": 3}}), "str -> str"),
        (_with_header([1, 2]), "not a JSON object"),
        (_with_header({"__metadata__": {FORMAT_KEY: "99"}}), "format version '99'"),
        (b"\x89HDF\r\n\x1a\n" + bytes(100), "HDF5"),
    ],
)
def test_foreign_or_damaged_files_get_clear_errors_naming_the_file(tmp_path, content, message):
    path = tmp_path / "weights.bin"
    path.write_bytes(content)
    with pytest.raises(WeightsFileError, match=message) as info:
        load_state(path)
    assert str(path) in str(info.value)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_state(tmp_path / "absent.safetensors")
    with pytest.raises(WeightsFileError, match="is a folder"):
        load_state(tmp_path)


# ---- validation against a model ----

EXPECTED = {"dense.kernel": ((3, 4), np.float32), "dense.bias": ((4,), np.float64)}


def test_validate_accepts_a_match_and_checks_arrays_or_specs():
    state = {"dense.kernel": np.zeros((3, 4), np.float32), "dense.bias": np.zeros(4)}
    assert validate_state(EXPECTED, state) is None
    assert validate_state(EXPECTED, {k: (v.shape, v.dtype) for k, v in state.items()}) is None
    assert validate_state({"b": ((4,), None)}, {"b": np.zeros(4, np.int8)}) is None


def test_validate_lists_every_problem_with_names_and_shapes():
    found = {"dense.kernel": np.zeros((4, 3), np.float32), "extra": np.zeros(1)}
    with pytest.raises(StateMismatchError) as info:
        validate_state(EXPECTED, found, source="m.safetensors")
    text = str(info.value)
    assert "in m.safetensors" in text
    assert "'dense.kernel': expected shape (3, 4), found (4, 3)" in text
    assert "missing: 'dense.bias'" in text and "unexpected: 'extra'" in text
    assert info.value.missing == ["dense.bias"] and info.value.unexpected == ["extra"]
    assert info.value.mismatched == [("dense.kernel", (3, 4), (4, 3))]


def test_validate_dtype_mismatch_and_non_strict():
    found = {"dense.kernel": np.zeros((3, 4)), "dense.bias": np.zeros(4)}
    with pytest.raises(StateMismatchError, match="'dense.kernel': expected dtype float32, found"):
        validate_state(EXPECTED, found)
    # non-strict tolerates missing and extra names, never a wrong shape
    assert validate_state(EXPECTED, {"dense.bias": np.zeros(4), "x": 1}, strict=False) is None
    with pytest.raises(StateMismatchError, match="expected shape"):
        validate_state(EXPECTED, {"dense.bias": np.zeros(5)}, strict=False)


def test_load_state_validates_before_returning(tmp_path):
    path = tmp_path / "w.safetensors"
    save_state(path, {"dense.kernel": np.zeros((3, 4), np.float32), "dense.bias": np.zeros(3)})
    with pytest.raises(StateMismatchError, match=r"'dense.bias': expected shape \(4,\)") as info:
        load_state(path, expected=EXPECTED)
    assert str(path) in str(info.value)
    save_state(path, {"dense.kernel": np.ones((3, 4), np.float32), "dense.bias": np.ones(4)})
    state, _ = load_state(path, expected=EXPECTED)
    assert state["dense.kernel"].sum() == 12
