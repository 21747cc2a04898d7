"""Writing a file so that a crash at any moment leaves the old version or the new one, complete.

The new content goes to a temporary file in the same folder (so the rename
stays on one file system), is flushed to disk, gets the mode the file would
have had (the person's umask, or the mode the existing file already has),
and is renamed over the target; then the folder entry is flushed too.
Temporary names carry the writer's process id, so the next write can tell a
leftover of a killed writer from a write still going on, and removes it.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

#: A temporary file whose writer is gone, or this old, is a leftover.
STALE_SECONDS = 600.0


def temp_name(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")


def _writer_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # someone else's process (or no way to tell): assume it is writing
    return True


def clean_stale_temps(path: Path) -> list[Path]:
    """Removes `path`'s temporary files left by writers that were killed; returns what was removed."""
    removed: list[Path] = []
    prefix = f".{path.name}."
    try:
        candidates = [p for p in path.parent.iterdir() if p.name.startswith(prefix) and p.name.endswith(".tmp")]
    except OSError:
        return removed
    now = time.time()
    for tmp in candidates:
        middle = tmp.name[len(prefix):-len(".tmp")].split(".")
        try:
            pid = int(middle[0])
            old = now - tmp.stat().st_mtime > STALE_SECONDS
        except (ValueError, IndexError, OSError):
            continue  # not one of ours
        if len(middle) == 2 and (old or not _writer_alive(pid)):
            with contextlib.suppress(OSError):
                tmp.unlink()
                removed.append(tmp)
    return removed


def clean_stale_temps_in(folder: Path) -> list[Path]:
    """`clean_stale_temps` for every file in `folder` (e.g. a run's checkpoints at the start of training)."""
    removed: list[Path] = []
    try:
        temps = [p for p in Path(folder).iterdir() if p.name.startswith(".") and p.name.endswith(".tmp")]
    except OSError:
        return removed
    for target in {p.name[1:].rsplit(".", 3)[0] for p in temps if p.name.count(".") >= 4}:
        removed += clean_stale_temps(Path(folder) / target)
    return removed


def _new_file_mode(path: Path) -> int:
    """The existing file's permission bits, else what the umask gives a new file."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        pass
    mask = os.umask(0o022)  # read it back: there is no other way to learn the umask
    os.umask(mask)
    return 0o666 & ~mask


def fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # e.g. Windows: folders cannot be opened; rename is still atomic there
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(path: str | Path, *, set_mode: bool = True) -> Iterator[Path]:
    """Yields a temporary path to write; on success it replaces `path` in one step.

    Leftovers of earlier killed writes of `path` are removed first. With
    `set_mode` the result gets the existing file's mode or the umask's (a
    temporary file is created 0600 otherwise).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    clean_stale_temps(path)
    tmp = temp_name(path)
    mode = _new_file_mode(path)
    try:
        yield tmp
        fd = os.open(tmp, os.O_RDWR)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        if set_mode:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
        if tmp.exists():  # rename() of two links to one file does nothing
            tmp.unlink()
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    fsync_folder(path.parent)


def write_bytes_atomic(path: str | Path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        with open(tmp, "xb") as f:
            f.write(data)


def keep_copy_atomic(source: Path, copy: Path) -> None:
    """`copy` becomes a complete copy of `source` in one step (a hard link where the file system allows)."""
    with contextlib.suppress(OSError):
        if copy.exists() and os.path.samefile(source, copy):
            return  # already this very file (a save was killed between its two renames)
    with atomic_path(copy, set_mode=False) as tmp:  # a link shares the source's mode; a copy gets it below
        try:
            os.link(source, tmp)
        except OSError:
            with open(source, "rb") as src, open(tmp, "xb") as dst:
                while chunk := src.read(1 << 20):
                    dst.write(chunk)
            os.chmod(tmp, source.stat().st_mode & 0o7777)
