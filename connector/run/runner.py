"""The queue loop: read, plan, let the scheduler try the steps, and act on each outcome
(remove files, set them aside, stop). Called by ``ox-connector run`` (through
``Connector.run_queue``); the error modes and the crash-safe order are described in
docs/architecture.md.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..model.errors import ConnectorError
from ..queue import (
    MAX_FILE_BYTES,
    BadQueueFile,
    Change,
    QueueFileVanished,
    Step,
    make_plan,
    pending_files,
    read_change,
)
from ..reconcile import Reconciler
from ..state.operations import BACKOFF_FIRST, BACKOFF_MAX, Failure, Operations
from .scheduler import Outcome, Scheduler, StepOutcome

log = logging.getLogger("ox_connector.run")
PROGRESS_EVERY = 10.0  # seconds between progress lines


class RunFailed(ConnectorError):
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
    dead_lettered: int = 0  # files set aside (continue mode)


@dataclass(frozen=True)
class _Stop:
    """Where and why the run stops (the file stays queued)."""

    path: Path
    reason: str
    dn: str | None = None
    udm_object_type: str | None = None
    waiting: bool = False  # the file's back-off has not run out: nothing was tried

    def failed(self) -> RunFailed:
        return RunFailed(self.path, self.reason, self.dn, self.udm_object_type, self.waiting)


@dataclass
class _QueueRead:
    changes: list[Change]
    bad: BadQueueFile | None  # stop mode: the unreadable file the run stops at


@dataclass
class _Run:
    reconciler: Reconciler
    scheduler: Scheduler
    queue_dir: Path
    stop_on_error: bool
    now: Callable[[], float]
    ops: Operations
    backoff: tuple[float, float]
    max_file_bytes: int = MAX_FILE_BYTES
    settings_hash: str | None = None
    result: RunResult = field(default_factory=RunResult)
    progress: _Progress = field(default_factory=lambda: _Progress())


def run_queue(
    reconciler: Reconciler,
    queue_dir: Path,
    stop_on_error: bool = True,
    now: Callable[[], float] = time.time,
    backoff: tuple[float, float] = (BACKOFF_FIRST, BACKOFF_MAX),
    max_file_bytes: int = MAX_FILE_BYTES,
    workers: int = 1,
    settings_hash: str | None = None,
    retry_now: bool = False,
) -> RunResult:
    """Apply every queued change, re-reading the queue until it is empty.
    Raises RunFailed where the run stops; records the outcome for ``health``.
    ``backoff``: (first, bound) seconds before a failed file is tried again (stop mode);
    ``max_file_bytes``: larger queue files are bad input, refused before they are read;
    ``workers``: steps applied at the same time (``OX_CONNECTOR_WORKERS``);
    ``settings_hash``: of the settings this run works with (stored with a failure; a
    failure under other settings is tried at once); ``retry_now``: ignore the back-off."""
    ops = Operations(reconciler.store)
    scheduler = Scheduler(
        reconciler,
        ops,
        stop_on_error=stop_on_error,
        now=now,
        workers=workers,
        settings_hash=settings_hash,
        retry_now=retry_now,
    )
    run = _Run(
        reconciler,
        scheduler,
        Path(queue_dir),
        stop_on_error,
        now,
        ops,
        backoff,
        max_file_bytes,
        settings_hash,
    )
    _early_retry(run)
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


def _early_retry(run: _Run) -> None:
    """Say so when the file the queue waits on is tried before its back-off ran out."""
    failure = run.ops.current_failure()
    if failure is None or run.now() >= failure.next_attempt:
        return
    extra = {"file": failure.file, "attempts": failure.attempts}
    if run.scheduler.retry_now:
        log.info("run --now: the failed file is tried at once", extra=extra)
    elif run.scheduler.settings_changed(failure):
        log.info("the settings changed since the last failure: trying at once", extra=extra)


def _loop(run: _Run) -> None:
    """The one place a run stops: at the first outcome that says so."""
    while True:
        read = _read_queue(run)
        steps = make_plan(read.changes).steps
        run.progress.add(len(steps))
        execution = run.scheduler.run(steps)
        stop: _Stop | None = None
        cause: Exception | None = None
        for outcome in execution:
            found = _act_on(run, outcome, stopping=stop is not None)
            if found is not None and stop is None:
                # start nothing more; the steps already running finish and are acted on
                stop, cause = found, outcome.error
                execution.stop()
        if stop is not None:
            raise stop.failed() from cause
        if read.bad is not None:
            raise _stop_at_bad_file(run, read.bad).failed()
        if not steps:
            return


def _read_queue(run: _Run) -> _QueueRead:
    """The readable changes in queue order. Stop mode: up to the first unreadable file
    (the run stops there, after applying the files before it). Continue mode: unreadable
    files go to the dead letters."""
    changes = []
    for path in pending_files(run.queue_dir):
        try:
            changes.append(read_change(path, run.max_file_bytes))
        except QueueFileVanished:
            continue
        except BadQueueFile as exc:
            log.error(
                "bad queue file",
                extra={"file": path.name, "field": exc.field, "reason": exc.reason},
            )
            if run.stop_on_error:
                return _QueueRead(changes, exc)
            _dead_letter(run, [path], exc.detail, None)
    return _QueueRead(changes, None)


def _act_on(run: _Run, outcome: StepOutcome, stopping: bool) -> _Stop | None:
    step, change = outcome.step, outcome.step.change
    if outcome.outcome is Outcome.APPLIED:
        _applied(run, step)
    elif outcome.outcome is Outcome.DEFERRED:
        waits_for = outcome.waits_for.change.name if outcome.waits_for else None
        log.info(
            "waiting for another object's change",
            extra={"file": change.name, "dn": change.dn, "waits_for": waits_for},
        )
    elif outcome.outcome is Outcome.PARKED and outcome.held is not None:
        held = outcome.held
        log.info(
            "moved another object out of the way under a temporary value",
            extra={
                "file": change.name,
                "dn": change.dn,
                "context_id": held.context_id,
                "held": held.claim,
                "holder": held.owner_id,
                "temporary": outcome.temporary,
            },
        )
    elif outcome.outcome is Outcome.BEHIND_DEAD_LETTER:
        reason = f"waits behind dead letter {outcome.dead_letter} of the same object"
        _dead_letter(run, list(step.paths), reason, change)
    elif outcome.outcome is Outcome.WAITING and outcome.failure is not None:
        return _waiting(run, change.path, outcome.failure, change)
    elif outcome.outcome is Outcome.FAILED:
        return _failed(run, outcome, stopping)
    return None


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
    run.progress.done_one()


def _failed(run: _Run, outcome: StepOutcome, stopping: bool) -> _Stop | None:
    """Stop mode or a transient error: the run stops here. Continue mode: set it aside.
    ``stopping``: another step stopped the run already (it stays the one recorded)."""
    step, change, exc = outcome.step, outcome.step.change, outcome.error
    if outcome.unexpected:  # a bug: still name the file, keep it, show the trace
        log.error(
            "unexpected error",
            extra={"file": change.name, "dn": change.dn},
            exc_info=(type(exc), exc, exc.__traceback__) if exc else None,
        )
        reason = f"unexpected {type(exc).__name__}: {exc}"
    else:
        reason = str(exc)
    error_type = type(exc).__name__
    if run.stop_on_error or outcome.transient:
        if stopping:  # ran at the same time as the step that stopped the run
            log.error(
                "change failed while the run was stopping; it stays queued",
                extra=_failure_fields(change, reason, error_type),
            )
            return None
        stop = _Stop(change.path, reason, change.dn, change.udm_object_type)
        return _record(run, stop, error_type, outcome.transient)
    log.error(
        "change failed; set aside as a dead letter, the run goes on",
        extra=_failure_fields(change, reason, error_type),
    )
    _dead_letter(run, list(step.paths), reason, change)
    return None


def _failure_fields(change: Change, reason: str, error_type: str) -> dict[str, object]:
    return {
        "file": change.name,
        "dn": change.dn,
        "udm_object_type": change.udm_object_type,
        "error": reason,
        "error_type": error_type,
    }


def _stop_at_bad_file(run: _Run, bad: BadQueueFile) -> _Stop:
    failure = run.scheduler.backoff(bad.path.name)
    if failure is not None:
        return _waiting(run, bad.path, failure, None)
    return _record(run, _Stop(bad.path, bad.detail), type(bad).__name__, transient=False)


def skip_hint(file: str) -> str:
    return (
        f"`ox-connector queue skip {file}` sets it aside as a dead letter (errors show, "
        "errors retry)"
    )


def _waiting(run: _Run, path: Path, failure: Failure, change: Change | None) -> _Stop:
    """Stop, without calling OX, while the file the queue waits on is in its back-off:
    once per trigger, at INFO, which file, why and for how long."""
    dn, udm_object_type = (change.dn, change.udm_object_type) if change else (None, None)
    log.info(
        "waiting for the back-off of a failed file",
        extra={
            "file": path.name,
            "dn": dn,
            "udm_object_type": udm_object_type,
            "error": failure.error,
            "attempts": failure.attempts,
            "retry_in_s": round(failure.next_attempt - run.now()),
            "hint": "after a settings change the next trigger tries it at once, "
            "`ox-connector run --now` tries it now; " + skip_hint(path.name),
        },
    )
    return _Stop(path, failure.error, dn, udm_object_type, waiting=True)


def _record(run: _Run, stop: _Stop, error_type: str, transient: bool) -> _Stop:
    """Record the failure (for the back-off and ``health``) and log it once."""
    failure = run.ops.record_failure(
        stop.path.name,
        None,
        stop.reason,
        run.now(),
        *run.backoff,
        settings_hash=run.settings_hash,
    )
    if transient:  # OX unreachable, credentials refused ...: no file is to blame
        hint = (
            "this concerns every change: check OX_SOAP_SERVER, OX_MASTER_PASSWORD and the "
            "credentials file; after a settings change the next trigger tries at once, "
            "`ox-connector run --now` tries now"
        )
    else:
        hint = f"{skip_hint(stop.path.name)}; after a fix, `ox-connector run --now` tries it now"
    log.error(
        "change failed; the run stops here and retries this file later",
        extra={
            "file": stop.path.name,
            "dn": stop.dn,
            "udm_object_type": stop.udm_object_type,
            "error": stop.reason,
            "error_type": error_type,
            "attempts": failure.attempts,
            "retry_in_s": round(failure.next_attempt - failure.last_attempt),
            "hint": hint,
        },
    )
    return stop


def _dead_letter(run: _Run, paths: list[Path], reason: str, change: Change | None) -> None:
    """Move files into the dead letters: commit first, then remove them from the queue."""
    stored = []
    with run.reconciler.store.transaction():
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
