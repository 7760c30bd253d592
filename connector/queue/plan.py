"""The order in which one run applies the pending changes (pure: no I/O, no logging).

Called by the runner. Contexts, access profiles, users, groups, functional accounts,
resources, then context deletions; timestamp, then file name, within each. One step per
object: its newest file, placed where that file stands; the older files are superseded
(removed after the newest is committed). Why the newest position, and the residual risk
it leaves for adoption by name: docs/architecture.md, "The plan".
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
