"""The run lock: at most one runner at a time, released by the kernel if the holder dies."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import AlreadyRunning, LockError


@contextmanager
def run_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive, non-blocking flock on ``path`` for the duration of the block.

    Raises AlreadyRunning if another open file (another process, or another run_lock in
    this one) holds it; LockError if the file cannot be opened or locked at all.

    flock belongs to the open file description, so the kernel drops it when the holder
    exits or is killed: no stale lock to clean up. The file is deliberately never deleted:
    unlinking it would let a newcomer lock a fresh inode while a waiting process locks the
    old one, and two runs would proceed. The holder's pid is written into it for humans.
    """
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        raise LockError(f"cannot open the run lock {path}: {exc.strerror}") from None
    try:
        if os.fstat(fd).st_mode & 0o077:  # made by an older version: 0600 as every state file
            os.fchmod(fd, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise AlreadyRunning(path, _read_pid(fd)) from None
        except OSError as exc:
            raise LockError(f"cannot lock the run lock {path}: {exc.strerror}") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)  # no misleading pid once we are done
    finally:
        os.close(fd)  # releases the flock


def _read_pid(fd: int) -> int | None:
    # The holder may not have written its pid yet (it locks first): then we say nothing.
    try:
        text = os.pread(fd, 32, 0).decode("ascii").strip()
        return int(text) if text else None
    except (OSError, UnicodeDecodeError, ValueError):
        return None
