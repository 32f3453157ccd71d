"""autograd_core.files, the project's one atomic writer, as viz.save_svg uses it: the file
keeps its mode, a symbolic link stays a link, errors name the user's path."""

import os
import shutil
import stat
import sys

import numpy as np
import pytest

import autograd_core as ag
import autograd_core.files
from autograd_core.viz import save_svg

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot not installed")
posix = pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions and symlinks")


def graph():
    x = ag.Tensor(np.array([1.0, 2.0]), requires_grad=True, name="x")
    return (x * x).sum()


def leftovers(folder):
    return [p for p in os.listdir(folder) if p.endswith(".tmp")]


def test_atomic_write_is_public_and_nn_files_is_the_same_writer():
    import nn.files

    assert "atomic_write" in ag.__all__ and ag.atomic_write is autograd_core.files.atomic_write
    assert nn.files.atomic_write is ag.atomic_write
    assert nn.files.atomic_writer is autograd_core.files.atomic_writer


@posix
@needs_dot
def test_save_svg_keeps_the_mode_of_the_file_it_replaces(tmp_path):
    path = tmp_path / "g.svg"
    path.write_text("old")
    os.chmod(path, 0o640)
    save_svg(graph(), path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert path.read_text().rstrip().endswith("</svg>") and leftovers(tmp_path) == []


@posix
@needs_dot
def test_save_svg_writes_through_a_symlink_and_keeps_it(tmp_path):
    real = tmp_path / "pictures" / "real.svg"
    real.parent.mkdir()
    real.write_text("old")
    link = tmp_path / "g.svg"
    link.symlink_to(real)
    assert save_svg(graph(), link) == link
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text().rstrip().endswith("</svg>")
    assert leftovers(tmp_path) == [] and leftovers(real.parent) == []


@needs_dot
def test_save_svg_to_an_empty_path_says_so():
    with pytest.raises(FileNotFoundError, match="cannot write '': the path is empty"):
        save_svg(graph(), "")


@needs_dot
def test_save_svg_into_a_read_only_folder_names_the_path(tmp_path, monkeypatch):
    # what a read-only folder does, also when the tests run as root
    def refuse(name, mode="r", *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(name))

    monkeypatch.setattr(autograd_core.files, "open", refuse, raising=False)
    with pytest.raises(PermissionError) as info:
        save_svg(graph(), tmp_path / "g.svg")
    message = str(info.value)
    assert str(tmp_path / "g.svg") in message and ".tmp" not in message
    assert "is not writable" in message
    assert not (tmp_path / "g.svg").exists()


@posix
@needs_dot
def test_save_svg_into_a_really_read_only_folder(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root writes into read-only folders")
    folder = tmp_path / "ro"
    folder.mkdir()
    os.chmod(folder, 0o555)
    try:
        with pytest.raises(PermissionError, match=str(folder / "g.svg")):
            save_svg(graph(), folder / "g.svg")
    finally:
        os.chmod(folder, 0o755)
