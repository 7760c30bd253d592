"""The queue loop: plan, apply step by step, commit, then delete the step's files.

Crash-safe order per step: OX writes, then the state-store commit (inside
``Reconciler.apply``), then the queue files are removed. Killed at any point, the next run
finds the file still queued (or already applied and gone) and converges.

Errors (``OX_CONNECTOR_STOP_ON_ERROR``):
- stop mode (default): the run stops at the failing file and keeps it; the next runs wait
  a growing back-off before trying it again (5 s doubling up to 10 min), and the error is
  logged once per attempt, not on every trigger;
- continue mode: the failing change goes to the dead letters (with the error, time and
  attempt count) and the run goes on; later changes of the same object follow it there,
  so nothing of that object is applied out of order;
- transient errors (network, timeouts, HTTP errors without a SOAP fault, OX's "database is
  being updated", authentication failures) stop the run in both modes: they concern every
  object, not the one at hand.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..desired.errors import InvalidAttribute
from ..ox import AuthenticationFailed, OXError, Transient
from ..queue import (
    BadQueueFile,
    Change,
    Kind,
    QueueFileVanished,
    Step,
    make_plan,
    pending_files,
    read_change,
)
from ..reconcile import NameHeldByOther, ReconcileError, Reconciler
from ..state.access_profiles import AccessProfilesError
from ..state.credentials import CredentialsError
from ..state.operations import BACKOFF_FIRST, BACKOFF_MAX, Operations

log = logging.getLogger("ox_connector.run")
PROGRESS_EVERY = 10.0  # seconds between progress lines
# What a failing change can raise and the run reports (file, DN, reason).
CHANGE_ERRORS = (InvalidAttribute, ReconcileError, OXError, CredentialsError, AccessProfilesError)
TRANSIENT = (Transient, AuthenticationFailed)


class RunFailed(Exception):
    """The run stopped at one queue file; the file stays queued. ``waiting``: it stopped
    because that file's back-off has not run out yet (nothing was tried)."""

    def __init__(
        self,
        path: Path,
        reason: str,
        dn: str | None = None,
        udm_object_type: str | None = None,
        waiting: bool = False,
    ):
        self.path = Path(path)
        self.reason = reason
        self.dn = dn
        self.udm_object_type = udm_object_type
        self.waiting = waiting
        where = f" ({udm_object_type} {dn})" if dn else ""
        super().__init__(f"queue file {self.path.name}{where}: {reason}")


@dataclass
class RunResult:
    applied: int = 0  # steps applied (one per object)
    files_removed: int = 0
    held: int = 0  # files of kinds not handled, left queued
    held_types: set[str] = field(default_factory=set)
    dead_lettered: int = 0  # files set aside (continue mode)


@dataclass
class _Run:
    reconciler: Reconciler
    queue_dir: Path
    stop_on_error: bool
    now: Callable[[], float]
    ops: Operations
    backoff: tuple[float, float]
    result: RunResult = field(default_factory=RunResult)


def run_queue(
    reconciler: Reconciler,
    queue_dir: Path,
    stop_on_error: bool = True,
    now: Callable[[], float] = time.time,
    backoff: tuple[float, float] = (BACKOFF_FIRST, BACKOFF_MAX),
) -> RunResult:
    """Apply every queued change, re-reading the queue until only held files remain.
    Raises RunFailed where the run stops; records the outcome for ``health``.
    ``backoff``: (first, bound) seconds before a failed file is tried again (stop mode)."""
    run = _Run(
        reconciler, Path(queue_dir), stop_on_error, now, Operations(reconciler.deps.store), backoff
    )
    try:
        _loop(run)
    except RunFailed as exc:
        if not exc.waiting:
            status = run.ops.status()
            run.ops.set_status(
                last_run=now(),
                last_error=exc.reason,
                last_error_file=exc.path.name,
                consecutive_errors=status.get("consecutive_errors", 0) + 1,
            )
        raise
    run.ops.set_status(last_run=now(), last_success=now(), consecutive_errors=0)
    return run.result


def _loop(run: _Run) -> None:
    held_logged: set[Path] = set()
    progress = _Progress()
    while True:
        changes, bad = _read_queue(run)
        plan = make_plan(changes, hold=frozenset(Kind) - run.reconciler.HANDLED)
        for change in plan.held:
            if change.path not in held_logged:
                held_logged.add(change.path)
                log.warning(
                    "left in the queue: this object type is not handled",
                    extra={
                        "file": change.name,
                        "dn": change.dn,
                        "udm_object_type": change.udm_object_type,
                    },
                )
        run.result.held = len(plan.held)
        run.result.held_types = {c.udm_object_type for c in plan.held}
        if plan.steps:
            progress.add(len(plan.steps))
            _apply_steps(run, list(plan.steps), progress)
        if bad is not None:
            _gate(run, bad.path, None)
            raise _stop(run, bad, None, bad.path)
        if not plan.steps:
            return


def _read_queue(run: _Run) -> tuple[list[Change], RunFailed | None]:
    """The readable changes in queue order. Stop mode: up to the first unreadable file
    (the run stops there, after applying the files before it). Continue mode: unreadable
    files go to the dead letters."""
    changes = []
    for path in pending_files(run.queue_dir):
        try:
            changes.append(read_change(path))
        except QueueFileVanished:
            continue
        except BadQueueFile as exc:
            reason = str(exc).split(": ", 1)[1]
            log.error(
                "bad queue file",
                extra={"file": path.name, "field": exc.field, "reason": exc.reason},
            )
            if run.stop_on_error:
                return changes, RunFailed(path, reason)
            _dead_letter(run, [path], reason, None)
    return changes, None


def _apply_steps(run: _Run, steps: list[Step], progress: _Progress) -> None:
    deferred: set[str] = set()
    parked: set[tuple[str, str]] = set()
    remaining = {s.change.id for s in steps}  # objects whose step has not run yet
    i = 0
    while i < len(steps):
        step = steps[i]
        change = step.change
        if not run.stop_on_error:
            behind = run.ops.dead_letters(change.id)
            if behind:  # never apply an object's later change before its failed one
                _dead_letter(
                    run,
                    list(step.paths),
                    f"waits behind dead letter {behind[0].seq} of the same object",
                    change,
                )
                i += 1
                continue
        _gate(run, change.path, change)
        remaining.discard(change.id)
        try:
            run.reconciler.apply(change, remaining)
        except NameHeldByOther as exc:
            later = _step_of(steps, exc.owner_id, after=i)
            if (
                later is not None
                and not run.stop_on_error
                and run.ops.has_dead_letters(exc.owner_id)
            ):
                later = None  # the owner's step will wait behind its own dead letter
            # only within one kind: going behind another kind's step would break the plan's
            # kind order (a user after the groups that list it)
            same_kind = (
                later is not None and steps[later].change.udm_object_type == change.udm_object_type
            )
            if same_kind and change.id not in deferred:
                # The owner's own pending change (a rename) frees the name: go after it.
                deferred.add(change.id)
                remaining.add(change.id)
                steps.insert(later, steps.pop(i))  # after pop(i) the owner is at later - 1
                log.info(
                    "waiting for another object's change",
                    extra={
                        "file": change.name,
                        "dn": change.dn,
                        "waits_for": steps[later - 1].change.name,
                    },
                )
                continue
            if (
                later is not None
                and (change.id, exc.held) not in parked
                and run.reconciler.releases(exc, steps[later].change)
            ):
                # A cycle (names passed around, e.g. swapped) or a holder of another kind
                # that gives it up: park the holder under a temporary name or address; its
                # own pending change gives it its final one.
                parked.add((change.id, exc.held))
                try:
                    temporary = run.reconciler.park(exc)
                except CHANGE_ERRORS as park_exc:
                    _handle_failure(run, step, park_exc)
                    i += 1
                    continue
                log.info(
                    "moved another object out of the way under a temporary value",
                    extra={
                        "file": change.name,
                        "dn": change.dn,
                        "context_id": exc.context_id,
                        "held": exc.held,
                        "holder": exc.owner_id,
                        "temporary": temporary,
                    },
                )
                continue
            _handle_failure(run, step, exc)
            i += 1
            continue
        except CHANGE_ERRORS as exc:
            _handle_failure(run, step, exc)
            i += 1
            continue
        except Exception as exc:  # a bug: still name the file, keep it, show the trace
            log.exception("unexpected error", extra={"file": change.name, "dn": change.dn})
            _handle_failure(run, step, exc, unexpected=True)
            i += 1
            continue
        _applied(run, step)
        progress.done_one()
        i += 1


def _applied(run: _Run, step: Step) -> None:
    change = step.change
    run.result.applied += 1
    for path in step.paths:
        try:
            path.unlink()
            run.result.files_removed += 1
        except FileNotFoundError:
            pass
    failure = run.ops.current_failure()
    if failure is not None and failure.file in {p.name for p in step.paths}:
        run.ops.clear_failure()
        log.info(
            "applied after earlier failures",
            extra={"file": change.name, "dn": change.dn, "attempts": failure.attempts + 1},
        )
    run.ops.applied(change.name)
    log.debug(
        "applied",
        extra={
            "file": change.name,
            "dn": change.dn,
            "udm_object_type": change.udm_object_type,
            "deleted": change.is_delete,
            "superseded": len(step.superseded),
        },
    )


def _gate(run: _Run, path: Path, change: Change | None) -> None:
    """Stop quietly while the file the queue waits on is in its back-off."""
    failure = run.ops.current_failure()
    if failure is None or failure.file != path.name or run.now() >= failure.next_attempt:
        return
    log.debug(
        "waiting for the back-off of a failed file",
        extra={"file": path.name, "retry_at": failure.next_attempt, "attempts": failure.attempts},
    )
    raise RunFailed(
        path,
        failure.error,
        change.dn if change else None,
        change.udm_object_type if change else None,
        waiting=True,
    )


def _handle_failure(run: _Run, step: Step, exc: Exception, unexpected: bool = False) -> None:
    """Continue mode: set the change aside and return. Otherwise raise RunFailed."""
    change = step.change
    reason = f"unexpected {type(exc).__name__}: {exc}" if unexpected else str(exc)
    if run.stop_on_error or isinstance(exc, TRANSIENT):
        raise _stop(
            run, RunFailed(change.path, reason, change.dn, change.udm_object_type), exc, change.path
        ) from exc
    log.error(
        "change failed; set aside as a dead letter, the run goes on",
        extra={
            "file": change.name,
            "dn": change.dn,
            "udm_object_type": change.udm_object_type,
            "error": reason,
            "error_type": type(exc).__name__,
        },
    )
    _dead_letter(run, list(step.paths), reason, change)


def _stop(run: _Run, failed: RunFailed, exc: Exception | None, path: Path) -> RunFailed:
    failure = run.ops.record_failure(path.name, None, failed.reason, run.now(), *run.backoff)
    log.error(
        "change failed; the run stops here and retries this file later",
        extra={
            "file": path.name,
            "dn": failed.dn,
            "udm_object_type": failed.udm_object_type,
            "error": failed.reason,
            "error_type": type(exc).__name__ if exc else "BadQueueFile",
            "attempts": failure.attempts,
            "retry_in_s": round(failure.next_attempt - failure.last_attempt),
        },
    )
    return failed


def _dead_letter(run: _Run, paths: list[Path], reason: str, change: Change | None) -> None:
    """Move files into the dead letters: commit first, then remove them from the queue."""
    stored = []
    with run.reconciler.deps.store.transaction():
        for path in paths:
            try:
                content = path.read_bytes()
            except FileNotFoundError:
                continue
            seq = run.ops.add_dead_letter(
                path.name,
                content,
                reason,
                change.id if change else None,
                change.udm_object_type if change else None,
                change.dn if change else None,
                now=run.now(),
            )
            stored.append((path, seq))
    for path, seq in stored:
        path.unlink(missing_ok=True)
        run.result.dead_lettered += 1
        log.warning(
            "dead letter",
            extra={"file": path.name, "dead_letter": seq, "dn": change.dn if change else None},
        )


def _step_of(steps: list[Step], object_id: str, after: int) -> int | None:
    for j in range(after + 1, len(steps)):
        if steps[j].change.id == object_id:
            return j
    return None


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
            log.info(
                "progress",
                extra={"applied": self.done, "planned": self.total, "per_second": round(rate, 1)},
            )
