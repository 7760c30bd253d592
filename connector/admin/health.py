"""``ox-connector health``: figures for monitoring, as JSON, an exit code (Nagios style:
0 OK, 1 WARNING, 2 CRITICAL) and optionally a Prometheus text file for node-exporter's
textfile collector."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Gauge, write_to_textfile

from ..queue import BadQueueFile, QueueFileVanished, read_change
from ..state.operations import Failure, Operations
from ..state.store import StateStore
from .queue_view import stats

OK, WARNING, CRITICAL = 0, 1, 2


def figures(queue_dir: Path, store: StateStore, now: float | None = None) -> dict[str, Any]:
    now = time.time() if now is None else now
    ops = Operations(store)
    status = ops.status()
    queue = stats(queue_dir, now)
    failure = ops.current_failure()
    return {
        "pending": queue["pending"],
        "oldest_pending_age_s": queue["oldest_age_s"],
        "unreadable_pending": queue["unreadable"],
        "consecutive_errors": status.get("consecutive_errors", 0),
        "last_error": status.get("last_error"),
        "last_error_file": status.get("last_error_file"),
        "dead_letters": ops.dead_letter_count(),
        "last_success": status.get("last_success"),
        "last_run": status.get("last_run"),
        "waiting_on": None if failure is None else waiting_on(queue_dir, failure),
    }


def waiting_on(queue_dir: Path, failure: Failure) -> dict[str, Any]:
    """The failing file and the directory object it changes (from the file itself, so
    that an administrator can go to that object in UMC without opening the file; the
    stored failure knows only its entryUUID)."""
    udm_object_type = dn = None
    object_id = failure.object_id
    try:
        change = read_change(Path(queue_dir) / failure.file)
    except (OSError, BadQueueFile, QueueFileVanished):
        pass  # gone (a run took it) or unreadable: the file name and error still say it
    else:
        udm_object_type, dn, object_id = change.udm_object_type, change.dn, change.id
    return {
        "file": failure.file,
        "udm_object_type": udm_object_type,
        "dn": dn,
        "object_id": object_id,
        "attempts": failure.attempts,
        "error": failure.error,
        "next_attempt": failure.next_attempt,
    }


def waiting_object(waiting: dict[str, Any]) -> str:
    """`` (users/user uid=anna,... entryUUID ...)``, or "" when the file says nothing."""
    parts = [p for p in (waiting.get("udm_object_type"), waiting.get("dn")) if p]
    if waiting.get("object_id"):
        parts.append(f"entryUUID {waiting['object_id']}")
    return f" ({' '.join(parts)})" if parts else ""


def stuck_hint(file: str) -> str:
    """What an administrator can do about a queue stuck on ``file``."""
    return (
        f"`ox-connector queue show {file}` shows it; after a fix, `ox-connector run --now` "
        f"tries it at once; `ox-connector queue skip {file}` sets it aside as a dead letter"
    )


def verdict(f: dict[str, Any], max_age_s: float) -> tuple[int, str]:
    """CRITICAL: the queue is stuck on a failing file. WARNING: dead letters, or changes
    older than ``max_age_s`` waiting. OK otherwise."""
    if f["waiting_on"] is not None and f["pending"]:
        return CRITICAL, (
            f"queue stuck on {f['waiting_on']['file']}{waiting_object(f['waiting_on'])} after "
            f"{f['waiting_on']['attempts']} attempts: {f['waiting_on']['error']} "
            f"({stuck_hint(f['waiting_on']['file'])})"
        )
    if f["dead_letters"]:
        return WARNING, f"{f['dead_letters']} dead letters (ox-connector errors list)"
    if f["pending"] and f["oldest_pending_age_s"] > max_age_s:
        return WARNING, (
            f"{f['pending']} changes pending, the oldest for {f['oldest_pending_age_s']:.0f} s"
        )
    return OK, f"{f['pending']} changes pending"


def write_metrics(path: Path, f: dict[str, Any]) -> None:
    """The figures as Prometheus gauges; prometheus_client writes the file atomically."""
    registry = CollectorRegistry()
    gauges = {
        "pending": ("ox_connector_queue_pending", "Queue files waiting to be applied"),
        "oldest_pending_age_s": (
            "ox_connector_queue_oldest_age_seconds",
            "Age of the oldest queue file",
        ),
        "consecutive_errors": (
            "ox_connector_consecutive_errors",
            "Failed attempts since the last successful run",
        ),
        "dead_letters": ("ox_connector_dead_letters", "Changes set aside after an error"),
        "last_success": (
            "ox_connector_last_success_timestamp_seconds",
            "End of the last run that emptied the queue",
        ),
        "last_run": ("ox_connector_last_run_timestamp_seconds", "End of the last run"),
    }
    for key, (name, help_text) in gauges.items():
        Gauge(name, help_text, registry=registry).set(f.get(key) or 0)
    Gauge("ox_connector_stuck", "1 if the queue waits on a failing file", registry=registry).set(
        1 if f["waiting_on"] is not None and f["pending"] else 0
    )
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    write_to_textfile(str(path), registry)
