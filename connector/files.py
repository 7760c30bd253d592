"""Replacing a file atomically: readers see the old or the new content, never a part.

Shared by every layer that writes files an administrator or another process reads (state
files, the mapping file, queue files put back or added by admin commands)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def private_file(path: Path, companions: tuple[str, ...] = ()) -> None:
    """Make ``path`` a file only its owner can read and write (0600): created empty if
    missing, tightened if it is more open; the same for ``path`` + each of ``companions``
    that exists (SQLite's -wal, -shm and -journal files)."""
    fd = os.open(path, os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        if os.fstat(fd).st_mode & 0o077:
            os.fchmod(fd, 0o600)
    finally:
        os.close(fd)
    for suffix in companions:
        tighten(path.with_name(path.name + suffix))


def tighten(path: Path) -> None:
    """Make an existing file 0600 if it is more open (one written by an older version)."""
    try:
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)
    except FileNotFoundError:
        pass


def write_atomically(path: Path, text: str | bytes, mode: int) -> None:
    """Write a temp file beside ``path`` with ``mode``, fsync it, rename it over ``path``
    and fsync the directory, so that a crash leaves either version whole. The temp name
    starts with a dot: a queue reader never takes it for a queue file. A missing directory
    is created, 0700 for a private file (``mode`` without group or other bits)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o755 if mode & 0o077 else 0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), mode)
            handle.write(text.encode("utf-8") if isinstance(text, str) else text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
