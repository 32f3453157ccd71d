"""The one atomic writer (nn.files) and every nn writer that uses it: mode kept, symlinks
kept, errors naming the user's path with what to do, leftovers of killed saves removed."""

import json
import os
import sys

import numpy as np
import pytest

import autograd_core.files
import nn
from nn.files import atomic_write, atomic_writer

posix = pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions and symlinks")


def model():
    return nn.Sequential(nn.Dense(2, input_dim=3, seed=0))


def history():
    m = model()
    m.compile("sgd", "mse")
    X = np.ones((4, 3), np.float32)
    return m.fit(X, np.ones((4, 2), np.float32), epochs=1, verbose=0)


def write_figure(path):
    pytest.importorskip("matplotlib")
    return nn.plot.plot_history(history(), path=path)


# each writer of nn, as f(path)
WRITERS = {
    "atomic_write": lambda path: atomic_write(path, "text\n"),
    "save_weights": lambda path: model().save_weights(path),
    "History.to_json": lambda path: history().to_json(path),
    "figure": write_figure,
}


def leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


@posix
@pytest.mark.parametrize("writer", WRITERS)
def test_overwriting_keeps_the_files_mode(tmp_path, writer):
    path = tmp_path / "out.svg"
    path.write_bytes(b"old")
    os.chmod(path, 0o600)
    WRITERS[writer](path)
    assert path.stat().st_mode & 0o777 == 0o600 and path.read_bytes() != b"old"
    assert leftovers(tmp_path) == []


@posix
@pytest.mark.parametrize("writer", WRITERS)
def test_overwriting_writes_through_a_symlink(tmp_path, writer):
    target = tmp_path / "real" / "out.svg"
    target.parent.mkdir()
    target.write_bytes(b"old")
    link = tmp_path / "link.svg"
    link.symlink_to(target)
    WRITERS[writer](link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_bytes() != b"old" and leftovers(target.parent) == []


@posix
def test_a_read_only_folder_names_the_users_path_and_what_to_do(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root writes into read-only folders")
    folder = tmp_path / "ro"
    folder.mkdir()
    os.chmod(folder, 0o500)
    try:
        for name, write in WRITERS.items():
            with pytest.raises(PermissionError) as info:
                write(folder / "w.svg")
            message = str(info.value)
            assert str(folder / "w.svg") in message, name
            assert "not writable" in message and ".tmp" not in message
    finally:
        os.chmod(folder, 0o700)


def test_a_path_under_a_file_names_the_users_path(tmp_path):
    (tmp_path / "file").write_text("x")
    for name, write in WRITERS.items():
        with pytest.raises(OSError) as info:
            write(tmp_path / "file" / "w.svg")
        message = str(info.value)
        assert str(tmp_path / "file" / "w.svg") in message and ".tmp" not in message, name
        assert "is a file, not a folder" in message or "does not exist" in message


def test_empty_path_and_a_folder_are_refused_clearly(tmp_path):
    folder = tmp_path / "d.svg"
    folder.mkdir()
    for name, write in WRITERS.items():
        error = ValueError if name == "figure" else FileNotFoundError  # no .png/.svg
        with pytest.raises(error, match="path is empty; give a file name|extension ''"):
            write("")
        with pytest.raises(IsADirectoryError, match="is a folder; give a file name"):
            write(folder)
    assert list(tmp_path.iterdir()) == [folder] and list(folder.iterdir()) == []


def test_leftovers_of_a_killed_save_are_removed_by_the_next(tmp_path):
    path = tmp_path / "w.safetensors"
    dead = tmp_path / ".w.safetensors.0a1b2c3d4e5f.tmp"  # the old 12-hex form
    dead.write_bytes(b"half")
    not_ours = tmp_path / ".other.safetensors.0a1b2c3d4e5f.tmp"
    not_ours.write_bytes(b"half")
    model().save_weights(path)
    assert not dead.exists() and not_ours.exists()
    assert leftovers(tmp_path) == [not_ours.name]


def test_a_running_save_of_the_same_file_is_left_alone(tmp_path):
    path = tmp_path / "w.txt"
    with atomic_writer(path) as out:  # a save in progress in this process
        out.write(b"first")
        atomic_write(path, "second")
    assert path.read_text() == "first"
    assert leftovers(tmp_path) == []


def test_a_failed_write_keeps_the_old_file_and_names_the_path(tmp_path, monkeypatch):
    path = tmp_path / "w.txt"
    atomic_write(path, "old")

    def full(out, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(autograd_core.files, "_write_all", full)
    with pytest.raises(OSError) as info:
        atomic_write(path, "new")
    assert str(path) in str(info.value) and "free some space" in str(info.value)
    assert path.read_text() == "old" and leftovers(tmp_path) == []


def test_csv_logger_and_checkpoints_write_atomically(tmp_path):
    m = model()
    m.compile("sgd", "mse")
    X, y = np.ones((4, 3), np.float32), np.ones((4, 2), np.float32)
    log = tmp_path / "log.csv"
    log.write_text("epoch,loss,lr\n0,1.0,0.01\n")
    os.chmod(log, 0o600)
    callbacks = [nn.CSVLogger(log, append=True),
                 nn.ModelCheckpoint(tmp_path / "ckpt" / "w-{epoch}.safetensors", "loss")]
    m.fit(X, y, epochs=2, verbose=0, callbacks=callbacks)
    rows = log.read_text().splitlines()
    assert rows[0] == "epoch,loss,lr" and len(rows) == 4 and rows[1] == "0,1.0,0.01"
    assert log.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in (tmp_path / "ckpt").iterdir()) == [
        "w-1.safetensors", "w-2.safetensors"]
    json.loads(history().to_json())  # to_json without a path writes nothing
    assert leftovers(tmp_path) == []


def test_a_refused_temporary_file_is_reported_as_the_users_path(tmp_path, monkeypatch):
    # what a read-only folder does, also when the tests run as root
    def refuse(name, mode="r", *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(name))

    monkeypatch.setattr(autograd_core.files, "open", refuse, raising=False)
    for name, write in WRITERS.items():
        with pytest.raises(PermissionError) as info:
            write(tmp_path / "w.svg")
        message = str(info.value)
        assert str(tmp_path / "w.svg") in message and ".tmp" not in message, name
        assert "is not writable; choose another path or change its permissions" in message
