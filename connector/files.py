"""Replacing a file atomically: readers see the old or the new content, never a part.

Shared by every layer that writes files an administrator or another process reads (state
files, the mapping file, queue files put back or added by admin commands)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomically(path: Path, text: str | bytes, mode: int) -> None:
    """Write a temp file beside ``path`` with ``mode``, fsync it, rename it over ``path``
    and fsync the directory, so that a crash leaves either version whole. The temp name
    starts with a dot: a queue reader never takes it for a queue file."""
    path.parent.mkdir(parents=True, exist_ok=True)
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
