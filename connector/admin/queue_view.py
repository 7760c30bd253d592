"""What is waiting in the queue: ``ox-connector queue list|show|stats``."""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..queue import BadQueueFile, QueueFileVanished, pending_files, read_change


@dataclass(frozen=True)
class Pending:
    file: str
    udm_object_type: str | None
    dn: str | None
    action: str  # "change", "delete" or "unreadable"
    age_s: float
    error: str | None = None
    object_id: str | None = None  # the entryUUID (None: unreadable)

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "object_id": self.object_id,
            "udm_object_type": self.udm_object_type,
            "dn": self.dn,
            "action": self.action,
            "age_s": round(self.age_s, 1),
            "error": self.error,
        }


def pending(queue_dir: Path, now: float | None = None) -> list[Pending]:
    """Every queue file in queue order, with kind, DN and age (from its mtime)."""
    now = time.time() if now is None else now
    out = []
    for path in pending_files(queue_dir):
        try:
            age = now - path.stat().st_mtime
            change = read_change(path)
        except (FileNotFoundError, QueueFileVanished):
            continue
        except BadQueueFile as exc:
            out.append(Pending(path.name, None, None, "unreadable", age, str(exc)))
            continue
        out.append(
            Pending(
                path.name,
                change.udm_object_type,
                change.dn,
                "delete" if change.is_delete else "change",
                age,
                object_id=change.id,
            )
        )
    return out


def stats(queue_dir: Path, now: float | None = None) -> dict[str, Any]:
    items = pending(queue_dir, now)
    return {
        "pending": len(items),
        "oldest_age_s": round(max((p.age_s for p in items), default=0.0), 1),
        "by_type": dict(Counter(p.udm_object_type or "unreadable" for p in items)),
        "unreadable": sum(p.action == "unreadable" for p in items),
    }


def show(queue_dir: Path, name: str) -> object:
    """One file's content (any JSON value, as the file holds it); ``name`` must be a file
    in the queue dir (no paths)."""
    if "/" in name or name.startswith("."):
        raise ValueError(f"{name}: give the file name as `queue list` shows it")
    path = Path(queue_dir) / name
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ValueError(f"{name}: not in the queue {queue_dir}") from None
    try:
        return json.loads(data)
    except ValueError:
        return {"unreadable": data.decode("utf-8", "replace")}
