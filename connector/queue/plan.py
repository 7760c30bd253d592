"""The order in which one run applies the pending changes (pure: no I/O, no logging).

Order: contexts, access profiles, users, groups, functional accounts, resources, then
context deletions (deleting a context removes everything in it, so it must not run while
other changes for that context are still pending); timestamp, then file name, within each.

Coalescing: each file is the whole object as it is now, so of several files for one id
only the newest is applied; the older ones are returned as ``superseded`` so the runner
removes them once the newest is committed (never before: a crash in between must leave
the newest or the older files still in the queue).

Where a coalesced step goes: at the position of its NEWEST file. The state it applies may
rely on anything that happened in the directory before that file (e.g. a user put into a
context created at t1 and moved into another at t3); at the newest position every older
change of every other object of the same or an earlier kind has already been applied.
Placing it at its oldest file would pull a newer state ahead of older changes of other
objects. Dependencies across kinds (a user needs its context and access profile; a group
needs its users; resources and functional accounts need users) are met by the kind order
whatever the timestamps, and coalescing never changes an id's kind rank except by
following its newest file. The kind of a step is the kind of its newest file, so a delete
followed by a re-create of one id is a create (non-delete rank) and a create followed by
a delete is a delete (for a context: the last rank). Residual risk: one object's step may
now run after another object's change that relied on the first object's *intermediate*
state within the same kind (B renamed alice->bob at t1, A created as alice at t2, B edited
at t3: A is applied while OX still has B as alice). The reconciler must therefore never
adopt an OX object by name when the state store says another id owns it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..model.kinds import Kind
from .change import Change

_CONTEXT_DELETE_RANK = len(Kind)


@dataclass(frozen=True, slots=True)
class Step:
    """Apply ``change``; afterwards remove its file and every ``superseded`` (older) file."""

    change: Change
    superseded: tuple[Path, ...] = ()

    @property
    def paths(self) -> tuple[Path, ...]:
        """Every queue file this step consumes, oldest first (the applied one last)."""
        return (*self.superseded, self.change.path)


@dataclass(frozen=True, slots=True)
class Plan:
    steps: tuple[Step, ...]


def rank(change: Change) -> int:
    if change.kind is Kind.CONTEXT and change.is_delete:
        return _CONTEXT_DELETE_RANK
    return change.kind.rank


def make_plan(changes: Iterable[Change]) -> Plan:
    """Order ``changes`` for applying, one step per object id (its newest file)."""
    by_id: dict[str, list[Change]] = {}
    seen: set[Path] = set()
    for change in changes:
        if change.path in seen:
            raise ValueError(f"queue file {change.path} given twice")
        seen.add(change.path)
        by_id.setdefault(change.id, []).append(change)

    steps: list[Step] = []
    for group in by_id.values():
        group.sort(key=lambda c: c.sort_key)
        steps.append(Step(group[-1], tuple(c.path for c in group[:-1])))
    steps.sort(key=lambda s: (rank(s.change), *s.change.sort_key))
    return Plan(tuple(steps))
