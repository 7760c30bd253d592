"""Running the connector the way the App Center's listener converter does: run the
``listener_trigger`` while files are queued, never two at once, and again while files
remain. Here the re-runs are immediate and bounded, and a failed run is an error that
carries the connector's own failure (file, DN, reason).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from connector.config import Settings
from connector.queue import AlreadyRunning, run_lock
from connector.run import open_connector

from .queuefiles import queued

Trigger = Callable[[], object]  # one ``ox-connector run``; raises if the run fails
MAX_RUNS = 10


class SyncError(Exception):
    """The connector did not empty the queue. ``failure`` is what the failed run raised
    (``connector.run.RunFailed`` for an in-process run, ``TriggerFailed`` for the
    command), ``remaining`` the queue files left, oldest first."""

    def __init__(self, message: str, failure: BaseException | None, remaining: list[Path]):
        super().__init__(message)
        self.failure = failure
        self.remaining = remaining


class TriggerFailed(Exception):
    """``ox-connector run`` exited with a failure; ``reason`` is its error log line."""

    def __init__(self, returncode: int, reason: str, stderr: str):
        super().__init__(f"ox-connector run exited {returncode}: {reason}")
        self.returncode = returncode
        self.reason = reason
        self.stderr = stderr


def run_like_converter(queue_dir: Path, trigger: Trigger, max_runs: int = MAX_RUNS) -> int:
    """Run ``trigger`` until ``queue_dir`` is empty; returns the number of runs.

    Raises SyncError when a run fails, when a run leaves every file it found in place
    (re-running cannot help then), or when files still remain after ``max_runs`` runs.
    """
    runs = 0
    while pending := queued(queue_dir):
        if runs >= max_runs:
            raise SyncError(
                f"{len(pending)} file(s) still queued after {runs} runs: {_describe(pending)}",
                None,
                pending,
            )
        try:
            trigger()
        except Exception as exc:
            left = queued(queue_dir)
            raise SyncError(
                f"the connector failed: {exc} ({len(left)} file(s) left in the queue)", exc, left
            ) from exc
        runs += 1
        left = queued(queue_dir)
        if left and set(pending) <= set(left):
            raise SyncError(
                f"the connector applied nothing and left {len(left)} file(s): {_describe(left)}",
                None,
                left,
            )
    return runs


def _describe(paths: list[Path], limit: int = 5) -> str:
    """File name, object type and DN of the first queued files."""
    out = []
    for path in paths[:limit]:
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            out.append(f"{path.name} ({doc.get('udm_object_type')} {doc.get('dn')})")
        except (OSError, ValueError, AttributeError):
            out.append(path.name)
    more = f", and {len(paths) - limit} more" if len(paths) > limit else ""
    return ", ".join(out) + more


def in_process_trigger(settings: Settings) -> Trigger:
    """``ox-connector run`` in this process (fast; the same calls as the command, with
    the same settings). A run that finds the lock held returns at once, as the command
    exits 0 then. A failed file waits out its back-off (``OX_CONNECTOR_RETRY_FIRST``)
    before it is tried again: 0 lets the next sync retry it at once."""

    def trigger() -> None:
        try:
            with open_connector(settings) as connector, run_lock(connector.lock_path):
                connector.run_queue()
        except AlreadyRunning:
            return

    return trigger


def command_trigger(env: Mapping[str, str], timeout: float = 300) -> Trigger:
    """The real ``ox-connector run`` in a child process with ``env`` added to ours."""

    def trigger() -> None:
        result = subprocess.run(
            [sys.executable, "-m", "connector.cli", "run"],
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            raise TriggerFailed(result.returncode, _error_line(result.stderr), result.stderr)

    return trigger


def _error_line(stderr: str) -> str:
    """The connector's failure from its JSON log: the last error record, as text."""
    for line in reversed(stderr.splitlines()):
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and str(record.get("level")).lower() in ("error", "critical"):
            details = {
                k: v
                for k, v in record.items()
                if k in ("file", "dn", "udm_object_type", "error", "problems", "reason")
            }
            return f"{record.get('msg')}: {details}" if details else str(record.get("msg"))
    return stderr.strip().splitlines()[-1] if stderr.strip() else "(no output)"
