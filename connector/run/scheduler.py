"""The order of a run: which steps go next, how many at once, and what each came to.

Called by the runner, which acts on the outcomes. The rules (docs/architecture.md):
kinds one after the other, in the plan's order; within a kind up to ``workers`` steps at
once, but never two that share a conflict key (see ``KindHandler.conflict_keys``), and
of those the earlier in queue order first; a name or address still held by another
object's pending step: defer behind it, or park the holder; continue mode: an object
with a dead letter follows it; stop mode: a file still in its back-off stops the run
(not after the settings changed since it failed, nor with ``run --now``).
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Callable, Collection, Hashable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

from ..model.errors import ConnectorError
from ..queue import Step, rank
from ..reconcile import NameHeldByOther, Reconciler
from ..state.operations import Failure, Operations


class Outcome(enum.Enum):
    APPLIED = "applied"
    DEFERRED = "deferred"  # moved behind the holder's pending step; tried again there
    PARKED = "parked"  # the holder was moved aside; the step is tried again first
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


Keys = Callable[[Step], frozenset[Hashable]]


LOOKAHEAD = 4096  # steps scanned past blocked ones for one that may start
READ_AHEAD = 200  # coming steps whose OX objects are read in batches at once


class Worklist:
    """The steps of one plan not started yet, in the order they are to be tried, and the
    ones running. Reordering happens here and nowhere else.

    Started steps leave holes (None) instead of shifting a long list; ``_head`` is the
    first step still waiting."""

    def __init__(self, steps: Iterable[Step], keys: Keys):
        self._order: list[Step | None] = list(steps)
        self._head = 0
        self._not_started = {s.change.id for s in self._order if s is not None}
        self._running: dict[Step, frozenset[Hashable]] = {}
        self._keys = keys
        self._known: dict[Step, frozenset[Hashable]] = {}
        self._deferred: set[str] = set()
        self._parked: set[tuple[str, str]] = set()

    def take(self, free: int) -> list[Step]:
        """Up to ``free`` steps that may start now: of the kind (rank) that is due, sharing
        no key with a running step or with an earlier step that has to wait."""
        waiting = self._waiting()
        first = next(waiting, None)
        if free <= 0 or first is None:
            return []
        due = min(rank(s.change) for s in (*self._running, first[1]))
        blocked: set[Hashable] = set().union(*self._running.values())
        taken: list[tuple[int, Step]] = []
        for scanned, (index, step) in enumerate(itertools.chain((first,), waiting)):
            if len(taken) == free or rank(step.change) != due or scanned >= LOOKAHEAD:
                break
            keys = self._key_of(step)
            if not keys & blocked:
                taken.append((index, step))
            blocked |= keys
        for index, step in taken:
            self._order[index] = None
            self._not_started.discard(step.change.id)
            self._running[step] = self._key_of(step)
        while self._head < len(self._order) and self._order[self._head] is None:
            self._head += 1
        return [step for _, step in taken]

    def finished(self, step: Step) -> None:
        """The step ran (or was answered without running): forget its keys (a step tried
        again computes them anew)."""
        self._running.pop(step, None)
        self._known.pop(step, None)

    def give_back(self, steps: list[Step]) -> None:
        """Steps taken but not started (the run stops): first again, in their order."""
        for step in reversed(steps):
            self.finished(step)
            self.retry(step)

    def is_empty(self) -> bool:
        return not self._running and next(self._waiting(), None) is None

    def upcoming(self, count: int) -> list[Step]:
        """The next ``count`` waiting steps, in order."""
        found: list[Step] = []
        for _, step in self._waiting():
            if len(found) == count:
                break
            found.append(step)
        return found

    def not_started(self) -> Collection[str]:
        """Ids of objects whose step comes later in this run (kept up to date)."""
        return self._not_started

    def later_step(self, object_id: str) -> Step | None:
        """The step of ``object_id`` that is still to come, if any."""
        return next((s for _, s in self._waiting() if s.change.id == object_id), None)

    def defer(self, step: Step, behind: Step) -> bool:
        """Try the finished ``step`` again right after ``behind`` (a later step); once per
        object."""
        if step.change.id in self._deferred:
            return False
        self._deferred.add(step.change.id)
        position = next(i for i, s in self._waiting() if s is behind)
        self._order.insert(position + 1, step)
        self._not_started.add(step.change.id)
        return True

    def park_once(self, object_id: str, claim: str) -> bool:
        """May the holder of ``claim`` be parked for this object? Once per pair."""
        if (object_id, claim) in self._parked:
            return False
        self._parked.add((object_id, claim))
        return True

    def retry(self, step: Step) -> None:
        """Try the finished ``step`` again before any other."""
        if self._head > 0:
            self._head -= 1
            self._order[self._head] = step
        else:
            self._order.insert(0, step)
        self._not_started.add(step.change.id)

    def _waiting(self) -> Iterator[tuple[int, Step]]:
        for index in range(self._head, len(self._order)):
            step = self._order[index]
            if step is not None:
                yield index, step

    def _key_of(self, step: Step) -> frozenset[Hashable]:
        if step not in self._known:
            self._known[step] = self._keys(step) | {("object", step.change.id)}
        return self._known[step]


class Scheduler:
    def __init__(
        self,
        reconciler: Reconciler,
        ops: Operations,
        *,
        stop_on_error: bool,
        now: Callable[[], float],
        workers: int = 1,
        settings_hash: str | None = None,
        retry_now: bool = False,
    ):
        self.reconciler = reconciler
        self.ops = ops
        self.stop_on_error = stop_on_error
        self.now = now
        self.workers = workers
        self.settings_hash = settings_hash  # of the settings this run works with
        self.retry_now = retry_now  # ``run --now``: no back-off

    def run(self, steps: Iterable[Step]) -> StepRun:
        """Try every step; iterate the result for one outcome per attempt."""
        return StepRun(self, Worklist(steps, self._keys))

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

    def before(self, step: Step) -> StepOutcome | None:
        """What a step comes to without being tried (a dead letter ahead, a back-off)."""
        change = step.change
        if not self.stop_on_error:
            behind = self.ops.dead_letters(change.id)
            if behind:  # never apply an object's later change before its failed one
                return StepOutcome(Outcome.BEHIND_DEAD_LETTER, step, dead_letter=behind[0].seq)
        waiting = self.backoff(change.name)
        if waiting is not None:
            return StepOutcome(Outcome.WAITING, step, failure=waiting)
        return None

    def attempt(self, step: Step, not_started: Collection[str]) -> Exception | None:
        """Apply one step (in a worker); the error it ended with, if any."""
        try:
            self.reconciler.apply(step.change.object_change(), not_started)
        except Exception as exc:  # expected or a bug: the runner names the file either way
            return exc
        return None

    def settle(self, work: Worklist, step: Step, error: Exception | None) -> StepOutcome:
        """The outcome of a finished attempt; a conflict reorders the worklist."""
        if error is None:
            return StepOutcome(Outcome.APPLIED, step)
        if isinstance(error, NameHeldByOther):
            return self._conflict(work, step, error)
        return StepOutcome(Outcome.FAILED, step, error=error)

    def _keys(self, step: Step) -> frozenset[Hashable]:
        try:
            return self.reconciler.conflict_keys(step.change.object_change())
        except ConnectorError:
            return frozenset()  # the step itself will fail on the same value

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


class StepRun:
    """The outcomes of one plan's steps, as they finish. ``stop()`` starts nothing more;
    the steps already running finish and their outcomes still come."""

    def __init__(self, scheduler: Scheduler, work: Worklist):
        self.scheduler = scheduler
        self.work = work
        self.stopping = False
        self.read_ahead: set[Step] = set()

    def _read_ahead(self, free: int) -> None:
        """When a step about to start was not read ahead, read the next window."""
        if free <= 0 or all(s in self.read_ahead for s in self.work.upcoming(free)):
            return
        window = [s for s in self.work.upcoming(READ_AHEAD) if s not in self.read_ahead]
        self.read_ahead.update(window)
        self.scheduler.reconciler.prefetch([s.change.object_change() for s in window])

    def stop(self) -> None:
        self.stopping = True

    def __iter__(self) -> Iterator[StepOutcome]:
        scheduler, work = self.scheduler, self.work
        running: dict[Future[Exception | None], Step] = {}
        with ThreadPoolExecutor(scheduler.workers, thread_name_prefix="apply") as pool:
            while True:
                free = 0 if self.stopping else scheduler.workers - len(running)
                self._read_ahead(free)
                taken = work.take(free)
                for position, step in enumerate(taken):
                    early = scheduler.before(step)
                    if early is None:
                        future = pool.submit(scheduler.attempt, step, work.not_started())
                        running[future] = step
                        continue
                    work.finished(step)
                    self.read_ahead.discard(step)
                    if early.outcome is Outcome.WAITING:
                        self.stopping = True
                        work.give_back(taken[position + 1 :])
                    yield early
                    if self.stopping:
                        break
                if not running:
                    if self.stopping or work.is_empty():
                        return
                    continue  # a dead letter or back-off answered all it took: take more
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    step = running.pop(future)
                    work.finished(step)
                    self.read_ahead.discard(step)
                    yield scheduler.settle(work, step, future.result())
