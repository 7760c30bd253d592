"""Errors of the queue layer. Each message is complete on its own: the runner logs str(exc)."""

from __future__ import annotations

from pathlib import Path

from ..model.errors import ConnectorError


class QueueError(ConnectorError):
    """Base class: anything the queue layer refuses, with a message fit for the log."""


class BadQueueFile(QueueError):
    """A queue file that cannot become a Change (unreadable, not JSON, wrong structure).

    ``field`` is the JSON path of the offending value (``"dn"``, ``"options[2]"``,
    ``"object.firstname"``), or None when the whole document is at fault (not UTF-8
    outside any string, not JSON, top level not an object).
    """

    def __init__(self, path: Path, field: str | None, reason: str) -> None:
        self.path = Path(path)
        self.field = field
        self.reason = reason
        super().__init__(f"queue file {self.path.name}: {self.detail}")

    @property
    def detail(self) -> str:
        """What is wrong, without the file name."""
        return f'field "{self.field}": {self.reason}' if self.field is not None else self.reason


class QueueFileVanished(QueueError):
    """The file was listed but is gone when read (another run or an admin removed it).

    Not bad input: the runner skips it and carries on.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        super().__init__(f"queue file {self.path.name}: vanished before it could be read")


class LockError(QueueError):
    """The run lock file cannot be opened or locked for a reason other than contention."""


class AlreadyRunning(QueueError):
    """Another process holds the run lock. The runner logs this and exits 0."""

    def __init__(self, path: Path, pid: int | None) -> None:
        self.path = Path(path)
        self.pid = pid
        holder = f" (pid {pid})" if pid is not None else ""
        super().__init__(
            f"another run holds the lock {self.path}{holder}; not starting a second one"
        )
