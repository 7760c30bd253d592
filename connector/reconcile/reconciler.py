"""Apply one change: dispatch by kind, all state writes in one transaction.

OX is written first, the state store committed after (the runner then deletes the file).
A crash anywhere leaves the file queued; applying it again converges, because every kind
reads OX before it writes and adopts what an interrupted run already created.
"""

from __future__ import annotations

from ..queue import Change, Kind
from ..state.store import ObjectState
from .access_profiles import apply_access_profile
from .contexts import apply_context
from .deps import Deps
from .groups import apply_group, refresh_groups
from .resources import apply_resource
from .users import apply_user


class Reconciler:
    HANDLED = frozenset({Kind.CONTEXT, Kind.ACCESS_PROFILE, Kind.USER, Kind.GROUP,
                         Kind.RESOURCE})

    def __init__(self, deps: Deps):
        self.deps = deps

    def apply(self, change: Change) -> None:
        store = self.deps.store
        with store.transaction():
            prior = store.get(change.id)
            new = self._dispatch(change, prior)
            if new is None:
                store.delete(change.id)
            else:
                store.put(new)
            if change.kind is Kind.USER and _placements(prior) != _placements(new):
                refresh_groups(self.deps, change.dn, *([prior.dn] if prior else []))

    def _dispatch(self, change: Change, prior: ObjectState | None) -> ObjectState | None:
        kind = change.kind
        if kind is Kind.CONTEXT:
            return apply_context(self.deps, change, prior)
        if kind is Kind.ACCESS_PROFILE:
            return apply_access_profile(self.deps, change, prior)
        if kind is Kind.USER:
            return apply_user(self.deps, change, prior)
        if kind is Kind.GROUP:
            return apply_group(self.deps, change.id, change.dn, change.object, prior)
        if kind is Kind.RESOURCE:
            return apply_resource(self.deps, change, prior)
        raise ValueError(f"{kind.value} objects are not handled yet")


def _placements(state: ObjectState | None) -> tuple:
    if state is None:
        return ()
    return tuple((p.context_id, p.ox_id) for p in state.placements)
