"""The queue loop: plan, apply step by step, commit, then delete the step's files.

Crash-safe order per step: OX writes, then the state-store commit (inside
``Reconciler.apply``), then the queue files are removed. Killed at any point, the next run
finds the file still queued (or already applied and gone) and converges.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..desired.errors import InvalidAttribute
from ..ox import OXError
from ..queue import (BadQueueFile, Change, Kind, QueueFileVanished, Step, make_plan,
                     pending_files, read_change)
from ..reconcile import NameHeldByOther, ReconcileError, Reconciler
from ..state.access_profiles import AccessProfilesError
from ..state.credentials import CredentialsError

log = logging.getLogger("ox_connector.run")
HELD: frozenset[Kind] = frozenset()  # kinds left queued (a kind not handled yet)
PROGRESS_EVERY = 10.0  # seconds between progress lines
# What a failing change can raise and the run reports (file, DN, reason) before stopping.
CHANGE_ERRORS = (InvalidAttribute, ReconcileError, OXError, CredentialsError,
                 AccessProfilesError)


class RunFailed(Exception):
    """The run stopped at one queue file; the file stays queued."""

    def __init__(self, path: Path, reason: str, dn: str | None = None,
                 udm_object_type: str | None = None):
        self.path = Path(path)
        self.reason = reason
        self.dn = dn
        self.udm_object_type = udm_object_type
        where = f" ({udm_object_type} {dn})" if dn else ""
        super().__init__(f"queue file {self.path.name}{where}: {reason}")


@dataclass
class RunResult:
    applied: int = 0  # steps applied (one per object)
    files_removed: int = 0
    held: int = 0  # files of kinds not handled yet, left queued
    held_types: set[str] = field(default_factory=set)


def run_queue(reconciler: Reconciler, queue_dir: Path) -> RunResult:
    """Apply every queued change, re-reading the queue until only held files remain.
    Raises RunFailed at the first change that cannot be applied."""
    result = RunResult()
    held_logged: set[Path] = set()
    progress = _Progress()
    while True:
        changes, bad = _read_queue(queue_dir)
        plan = make_plan(changes, hold=HELD)
        new_held = [c for c in plan.held if c.path not in held_logged]
        for change in new_held:
            held_logged.add(change.path)
            log.warning("left in the queue: this object type is not handled yet",
                        extra={"file": change.name, "udm_object_type": change.udm_object_type,
                               "dn": change.dn})
        result.held = len(plan.held)
        result.held_types = {c.udm_object_type for c in plan.held}
        if plan.steps:
            progress.add(len(plan.steps))
            _apply_steps(reconciler, list(plan.steps), result, progress)
        if bad is not None:
            raise bad
        if not plan.steps:
            return result


def _read_queue(queue_dir: Path) -> tuple[list[Change], RunFailed | None]:
    """The readable changes in queue order up to the first bad file (and that failure):
    the files before it are applied, the run stops at it, as the queue's order requires."""
    changes = []
    for path in pending_files(queue_dir):
        try:
            changes.append(read_change(path))
        except QueueFileVanished:
            continue
        except BadQueueFile as exc:
            log.error("bad queue file", extra={"file": path.name, "field": exc.field,
                                               "reason": exc.reason})
            return changes, RunFailed(path, str(exc).split(": ", 1)[1])
    return changes, None


def _apply_steps(reconciler: Reconciler, steps: list[Step], result: RunResult,
                 progress: _Progress) -> None:
    deferred: set[str] = set()
    i = 0
    while i < len(steps):
        step = steps[i]
        change = step.change
        try:
            reconciler.apply(change)
        except NameHeldByOther as exc:
            later = _step_of(steps, exc.owner_id, after=i)
            if later is None or change.id in deferred:
                raise _failed(change, exc) from exc
            # The owner's own pending change (e.g. a rename) frees the name: go after it.
            deferred.add(change.id)
            steps.insert(later + 1, steps.pop(i))
            log.info("waiting for another object's change", extra={
                "file": change.name, "dn": change.dn, "waits_for": steps[later - 1].change.name})
            continue
        except CHANGE_ERRORS as exc:
            raise _failed(change, exc) from exc
        except Exception as exc:  # a bug: still name the file, keep it, show the trace
            log.exception("unexpected error", extra={"file": change.name, "dn": change.dn})
            raise _failed(change, exc, unexpected=True) from exc
        result.applied += 1
        for path in step.paths:
            try:
                path.unlink()
                result.files_removed += 1
            except FileNotFoundError:
                pass
        log.debug("applied", extra={"file": change.name, "dn": change.dn,
                                    "udm_object_type": change.udm_object_type,
                                    "deleted": change.is_delete,
                                    "superseded": len(step.superseded)})
        progress.done_one()
        i += 1


def _step_of(steps: list[Step], object_id: str, after: int) -> int | None:
    for j in range(after + 1, len(steps)):
        if steps[j].change.id == object_id:
            return j
    return None


def _failed(change: Change, exc: Exception, unexpected: bool = False) -> RunFailed:
    reason = f"unexpected {type(exc).__name__}: {exc}" if unexpected else str(exc)
    log.error("change failed; the run stops here and retries this file next time", extra={
        "file": change.name, "dn": change.dn, "udm_object_type": change.udm_object_type,
        "error": reason, "error_type": type(exc).__name__})
    return RunFailed(change.path, reason, change.dn, change.udm_object_type)


class _Progress:
    """Periodic count lines for long runs (an initial sync of many thousand objects)."""

    def __init__(self) -> None:
        self.total = 0
        self.done = 0
        self.started = self.last = time.monotonic()

    def add(self, steps: int) -> None:
        self.total += steps

    def done_one(self) -> None:
        self.done += 1
        now = time.monotonic()
        if now - self.last >= PROGRESS_EVERY:
            self.last = now
            rate = self.done / (now - self.started)
            log.info("progress", extra={"applied": self.done, "planned": self.total,
                                        "per_second": round(rate, 1)})
