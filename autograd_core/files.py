"""The one atomic file writer: every file the project writes goes through ``atomic_write``.

Graph SVGs (``viz.save_svg``), and in ``nn`` weights, History JSON, CSV logs, checkpoints,
the CLI's files, figures and downloads (``nn.files`` re-exports this module's names) are
written to a temporary file beside their target, flushed to disk, then renamed over it, so a
reader or a crash sees the old file or the new one, never half of one. Overwriting behaves
like ``open(path, "w")``: the file keeps its permission bits, and a symbolic link stays a link
(its target is written). Every error names the user's path and says what to do, never the
temporary file. A save killed halfway (SIGKILL, power loss) leaves ``.NAME.<hex>.tmp``
behind; the next save of the same file removes it.

Only the standard library is used.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

__all__ = ["atomic_write", "atomic_writer", "make_parents"]

_PID_DIGITS = 8  # the temporary name's hex starts with the writer's process id


def _write_all(out: BinaryIO, data: bytes) -> None:
    """Write data to the open temporary file (a seam for tests that simulate a crash)."""
    out.write(data)


def _fsync_folder(folder: Path) -> None:
    # makes the rename itself durable; not possible on every platform, and harmless to skip
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _hint(code: int | None, path: Path, folder: Path) -> str:
    if code in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"the folder {folder} is not writable; choose another path or change its " \
               "permissions"
    if code == errno.ENOENT:
        return f"the folder {folder} does not exist; create it first or choose another path"
    if code == errno.ENOTDIR:
        return "a part of the path is a file, not a folder; choose another path"
    if code == errno.EISDIR:
        return "that is a folder; give a file name"
    if code in (errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", -1)):
        return "the disk is full or the file is too large; free some space or choose " \
               "another disk"
    return "check the path and try again"


def _user_error(exc: OSError, path: Path, folder: Path) -> OSError:
    """``exc`` again, as the same class, but naming the user's path and what to do."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    message = f"cannot write {str(path)!r}: {reason}; {_hint(exc.errno, path, folder)}"
    new = type(exc)(exc.errno, message) if exc.errno is not None else type(exc)(message)
    return new


def _target(path: Path) -> Path:
    """Where the bytes go: through symbolic links to the file they point at."""
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True  # another thread of this process may be saving the same file now
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _remove_leftovers(target: Path) -> None:
    """Delete ``.NAME.<hex>.tmp`` files left by an earlier save of ``target`` that died."""
    pattern = re.compile(rf"\.{re.escape(target.name)}\.([0-9a-f]+)\.tmp")
    with contextlib.suppress(OSError):
        for entry in os.scandir(target.parent):
            found = pattern.fullmatch(entry.name)
            if not found:
                continue
            digits = found.group(1)
            if len(digits) > _PID_DIGITS + 11 and _alive(int(digits[:_PID_DIGITS], 16)):
                continue  # a save running right now
            with contextlib.suppress(OSError):
                os.unlink(entry.path)


@contextlib.contextmanager
def atomic_writer(path: str | os.PathLike) -> Iterator[BinaryIO]:
    """``with atomic_writer(path) as out: out.write(...)``: the file appears, complete, when
    the block ends without an error; otherwise the old file (or none) stays."""
    shown = Path(os.fspath(path))
    if os.fspath(path) == "":
        raise FileNotFoundError(errno.ENOENT, "cannot write '': the path is empty; give a "
                                              "file name")
    target = _target(shown)
    folder = target.parent
    if target.is_dir():
        raise IsADirectoryError(errno.EISDIR, f"cannot write {str(shown)!r}: it is a folder; "
                                              "give a file name")
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = None  # a new file gets the umask's permissions, as a plain open would
    except OSError as exc:
        raise _user_error(exc, shown, folder) from None
    _remove_leftovers(target)
    tmp = folder / f".{target.name}.{os.getpid() % 16**_PID_DIGITS:08x}{secrets.token_hex(6)}.tmp"
    try:
        out = open(tmp, "xb")
    except OSError as exc:
        raise _user_error(exc, shown, folder) from None
    try:
        with out:
            if mode is not None:
                os.chmod(out.fileno(), mode)
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise _user_error(exc, shown, folder) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_folder(folder)


def make_parents(path: str | os.PathLike) -> None:
    """Create the missing folders above ``path``; an error names ``path`` and what to do."""
    shown = Path(os.fspath(path))
    if os.fspath(path) == "":
        raise FileNotFoundError(errno.ENOENT, "cannot write '': the path is empty; give a "
                                              "file name")
    try:
        shown.parent.mkdir(parents=True, exist_ok=True)
    except FileExistsError as exc:  # a file where a folder should be
        raise NotADirectoryError(errno.ENOTDIR, f"cannot write {str(shown)!r}: {exc.strerror}"
                                 f"; {_hint(errno.ENOTDIR, shown, shown.parent)}") from None
    except OSError as exc:
        raise _user_error(exc, shown, shown.parent) from None


def atomic_write(path: str | os.PathLike, data: bytes | str) -> None:
    """Write ``data`` (``str`` as UTF-8) to ``path`` atomically (see the module docstring)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    with atomic_writer(path) as out:
        _write_all(out, data)
