"""The order of a run: which step goes next, and what each attempt came to.

The plan (``connector.queue.make_plan``) gives the kind order and the queue order within a
kind. The scheduler walks it on an explicit worklist and decides, per step:

- continue mode: an object with a dead letter follows it there (never applied out of order);
- stop mode: a file still in its back-off stops the run before anything is tried (not
  after the settings changed since it failed, nor with ``run --now``);
- a change that meets its name or mail address on another directory object's OX object
  waits behind that object's own pending step of the same kind, once;
- when that cannot help (a cycle, or the holder is of another kind) and the holder's
  pending change gives the value up, the holder is parked on a temporary value and the
  step is tried again;
- otherwise the step fails, naming the holder.

It never raises for a failing step: each attempt yields a ``StepOutcome`` and the runner
acts on it (removes files, sets them aside, or stops). Conflicts are detected by OX's
answers today; a concurrent scheduler keeps this interface and adds conflict keys (object
id, names and addresses before and after) to decide which steps may run side by side.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass

from ..model.errors import ConnectorError
from ..queue import Step
from ..reconcile import NameHeldByOther, Reconciler
from ..state.operations import Failure, Operations


class Outcome(enum.Enum):
    APPLIED = "applied"
    DEFERRED = "deferred"  # moved behind the holder's pending step; tried again there
    PARKED = "parked"  # the holder was moved aside; the step is tried again at once
    FAILED = "failed"
    BEHIND_DEAD_LETTER = "behind dead letter"  # continue mode: follows its object's letter
    WAITING = "waiting"  # stop mode: the file's back-off has not run out; nothing tried


@dataclass(frozen=True)
class StepOutcome:
    outcome: Outcome
    step: Step
    error: Exception | None = None  # FAILED
    waits_for: Step | None = None  # DEFERRED
    held: NameHeldByOther | None = None  # PARKED
    temporary: str | None = None  # PARKED: the holder's temporary name or address
    dead_letter: int | None = None  # BEHIND_DEAD_LETTER: the letter it follows
    failure: Failure | None = None  # WAITING: the recorded failure of the file

    @property
    def transient(self) -> bool:
        """The error concerns every change (OX unreachable ...): stop in any mode."""
        return isinstance(self.error, ConnectorError) and self.error.transient

    @property
    def unexpected(self) -> bool:
        """The error is not one the connector expects: a bug."""
        return self.error is not None and not isinstance(self.error, ConnectorError)


class Worklist:
    """The steps of one plan in the order they are tried, and which objects have not had
    their step started yet. Reordering happens here and nowhere else."""

    def __init__(self, steps: Iterable[Step]):
        self._steps = list(steps)
        self._next = 0
        self._not_started = {s.change.id for s in self._steps}
        self._deferred: set[str] = set()
        self._parked: set[tuple[str, str]] = set()

    def take(self) -> Step | None:
        if self._next >= len(self._steps):
            return None
        self._next += 1
        return self._steps[self._next - 1]

    def started(self, step: Step) -> None:
        self._not_started.discard(step.change.id)

    def not_started(self) -> Collection[str]:
        """Ids of objects whose step comes later in this run."""
        return self._not_started

    def later_step(self, object_id: str) -> Step | None:
        """The step of ``object_id`` that is still to come, if any."""
        return next((s for s in self._steps[self._next :] if s.change.id == object_id), None)

    def defer(self, step: Step, behind: Step) -> bool:
        """Move the step just taken behind ``behind`` (a later step); once per object."""
        object_id = step.change.id
        if object_id in self._deferred:
            return False
        self._deferred.add(object_id)
        self._not_started.add(object_id)
        self._next -= 1
        self._steps.pop(self._next)
        position = next(i for i, s in enumerate(self._steps) if s is behind)
        self._steps.insert(position + 1, step)
        return True

    def park_once(self, object_id: str, claim: str) -> bool:
        """May the holder of ``claim`` be parked for this object? Once per pair."""
        if (object_id, claim) in self._parked:
            return False
        self._parked.add((object_id, claim))
        return True

    def retry(self, step: Step) -> None:
        """Take the step just taken again next."""
        self._next -= 1
        assert self._steps[self._next] is step


class Scheduler:
    def __init__(
        self,
        reconciler: Reconciler,
        ops: Operations,
        *,
        stop_on_error: bool,
        now: Callable[[], float],
        settings_hash: str | None = None,
        retry_now: bool = False,
    ):
        self.reconciler = reconciler
        self.ops = ops
        self.stop_on_error = stop_on_error
        self.now = now
        self.settings_hash = settings_hash  # of the settings this run works with
        self.retry_now = retry_now  # ``run --now``: no back-off

    def run(self, steps: Iterable[Step]) -> Iterator[StepOutcome]:
        """Try every step; one outcome per attempt. Ends after a WAITING outcome; the
        caller may stop consuming at any outcome (e.g. a failure in stop mode)."""
        work = Worklist(steps)
        while (step := work.take()) is not None:
            outcome = self._attempt(work, step)
            yield outcome
            if outcome.outcome is Outcome.WAITING:
                return

    def backoff(self, file_name: str) -> Failure | None:
        """The recorded failure of this file while its back-off runs, else None. The
        back-off no longer holds after a change of the settings it failed with (a fix is
        tried at once), nor for ``run --now``."""
        failure = self.ops.current_failure()
        if (
            failure is None
            or failure.file != file_name
            or self.retry_now
            or self.settings_changed(failure)
            or self.now() >= failure.next_attempt
        ):
            return None
        return failure

    def settings_changed(self, failure: Failure) -> bool:
        """Did the settings change since this failure was recorded?"""
        return self.settings_hash is not None and failure.settings_hash != self.settings_hash

    def _attempt(self, work: Worklist, step: Step) -> StepOutcome:
        change = step.change
        if not self.stop_on_error:
            behind = self.ops.dead_letters(change.id)
            if behind:  # never apply an object's later change before its failed one
                return StepOutcome(Outcome.BEHIND_DEAD_LETTER, step, dead_letter=behind[0].seq)
        waiting = self.backoff(change.name)
        if waiting is not None:
            return StepOutcome(Outcome.WAITING, step, failure=waiting)
        work.started(step)
        try:
            self.reconciler.apply(change.object_change(), work.not_started())
        except NameHeldByOther as held:
            return self._conflict(work, step, held)
        except Exception as exc:  # expected or a bug: the runner names the file either way
            return StepOutcome(Outcome.FAILED, step, error=exc)
        return StepOutcome(Outcome.APPLIED, step)

    def _conflict(self, work: Worklist, step: Step, held: NameHeldByOther) -> StepOutcome:
        change = step.change
        owner = work.later_step(held.owner_id)
        if (
            owner is not None
            and not self.stop_on_error
            and self.ops.has_dead_letters(owner.change.id)
        ):
            owner = None  # the owner's step will wait behind its own dead letter
        # Only within one kind: going behind another kind's step would break the plan's kind
        # order (a user after the groups that list it).
        if owner is not None and owner.change.kind is change.kind and work.defer(step, owner):
            return StepOutcome(Outcome.DEFERRED, step, waits_for=owner)
        if (
            owner is not None
            and self.reconciler.releases(held, owner.change.object_change())
            and work.park_once(change.id, held.claim)
        ):
            # A cycle (names passed around, e.g. swapped) or a holder of another kind that
            # gives it up: park the holder; its own pending change gives it its final value.
            try:
                temporary = self.reconciler.park(held)
            except Exception as exc:
                return StepOutcome(Outcome.FAILED, step, error=exc)
            work.retry(step)
            return StepOutcome(Outcome.PARKED, step, held=held, temporary=temporary)
        return StepOutcome(Outcome.FAILED, step, error=held)
