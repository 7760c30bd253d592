"""Writing converter-format queue files: timestamped names, atomic appearance.

The App Center's listener converter names each file after the time of the change,
``YYYY-MM-DD-HH-MM-SS-ffffff.json``, so that name order is time order. Two changes in
the same microsecond get consecutive microseconds here, so names are strictly increasing
(also across writers that share a queue dir: the first write starts after the newest file
already there). A file appears whole: it is written under a hidden temporary name (which
the connector ignores) and then linked to its final name, which never replaces a file.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

SUFFIX = ".json"
_FORMAT = "%Y-%m-%d-%H-%M-%S-%f"
_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-\d{6})\.json$")
_EPOCH = dt.datetime(1970, 1, 1)


def file_name(microseconds: int) -> str:
    """The converter's name for a change at this time (UTC: no DST jumps back)."""
    return (_EPOCH + dt.timedelta(microseconds=microseconds)).strftime(_FORMAT) + SUFFIX


def name_time(name: str) -> int | None:
    """Microseconds since the epoch of a converter file name, None for other names."""
    match = _NAME.match(name)
    if not match:
        return None
    stamp = dt.datetime.strptime(match[1], _FORMAT) - _EPOCH
    return (stamp.days * 86_400 + stamp.seconds) * 1_000_000 + stamp.microseconds


def document(
    object_id: str, udm_object_type: str, dn: str, obj: dict[str, Any] | None, options: list[str]
) -> dict[str, Any]:
    """What the converter writes: the whole UDM object, or null for a removal."""
    return {
        "id": object_id,
        "udm_object_type": udm_object_type,
        "dn": dn,
        "object": obj,
        "options": options,
    }


def queued(queue_dir: Path) -> list[Path]:
    """The queue files waiting in ``queue_dir``, oldest first (hidden names excluded)."""
    return sorted(
        (
            p
            for p in Path(queue_dir).glob("*" + SUFFIX)
            if not p.name.startswith(".") and p.is_file()
        ),
        key=lambda p: p.name,
    )


class QueueWriter:
    """Writes one queue dir's files; ``clock`` returns seconds since the epoch."""

    def __init__(self, queue_dir: Path, clock: Callable[[], float] = time.time):
        self.queue_dir = Path(queue_dir)
        self._clock = clock
        self._last: int | None = None  # microseconds of the newest name handed out

    def write(self, doc: dict[str, Any]) -> Path:
        self.queue_dir.mkdir(parents=True, exist_ok=True)
        data = json.dumps(doc, ensure_ascii=False, indent=2).encode("utf-8")
        stamp = self._next_stamp()
        tmp = self.queue_dir / f".{file_name(stamp)}.{os.getpid()}.tmp"
        with open(tmp, "wb") as handle:
            handle.write(data)
        try:
            while True:
                final = self.queue_dir / file_name(stamp)
                try:
                    os.link(tmp, final)  # unlike rename, never replaces another writer's file
                    break
                except FileExistsError:
                    stamp = self._next_stamp()
        finally:
            tmp.unlink(missing_ok=True)
        return final

    def _next_stamp(self) -> int:
        if self._last is None:
            newest = (name_time(p.name) for p in self.queue_dir.iterdir())
            self._last = max((t for t in newest if t is not None), default=0)
        now = int(self._clock() * 1_000_000)
        self._last = max(now, self._last + 1)
        return self._last
