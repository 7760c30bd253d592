"""Apply one change through its kind's handler; all state writes in one transaction.

OX is written first, the state store committed after (the runner then deletes the file).
A crash anywhere leaves the file queued; applying it again converges, because every kind
reads OX before it writes and adopts what an interrupted run already created.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Collection, Hashable
from typing import Any

from ..desired.errors import InvalidAttribute
from ..model.change import ObjectChange
from ..model.kinds import Kind
from ..state.store import ObjectState, StateStore
from .deps import Deps
from .errors import MailHeldByOther, NameHeldByOther
from .handler import KindHandler, is_fresh
from .registry import handler_for


class Reconciler:
    def __init__(self, deps: Deps):
        self.deps = deps

    @property
    def store(self) -> StateStore:
        """The state store every apply commits to (the runner's dead letters go there too)."""
        return self.deps.store

    def apply(self, change: ObjectChange, pending: Collection[str] = ()) -> None:
        """Apply one change. ``pending``: ids of objects whose own changes come later in
        this run (their dependants' refresh is left to those changes).

        OX is written before the transaction, so that other workers can use the store
        meanwhile; the stored state and the objects re-applied because of it are
        committed together (a crash in between leaves the file queued, and applying it
        again converges)."""
        store = self.deps.store
        handler = handler_for(change.kind)
        prior = store.get(change.id)
        new: ObjectState | None = None
        if change.object is None:
            handler.delete(self.deps, change.id, change.dn, prior)
        else:
            new = self._apply_one(handler, change.id, change.dn, change.object, prior)
        with store.transaction():
            if new is None:
                store.delete(change.id)
            else:
                store.put(new, applied=True)
            dns = [change.dn, *([prior.dn] if prior and prior.dn != change.dn else [])]
            for kind, member_dns in handler.referring(self.deps, dns, prior, new):
                self._reapply_referring(kind, member_dns, pending)

    def prefetch(self, changes: list[ObjectChange]) -> None:
        """Let each kind read ahead what these coming changes will read one by one."""
        by_kind: dict[Kind, list[tuple[ObjectChange, ObjectState | None]]] = {}
        for change in changes:
            by_kind.setdefault(change.kind, []).append((change, self.deps.store.get(change.id)))
        for kind, items in by_kind.items():
            handler_for(kind).prefetch(self.deps, items)

    def conflict_keys(self, change: ObjectChange) -> frozenset[Hashable]:
        """What applying ``change`` may touch that another step may touch too."""
        prior = self.deps.store.get(change.id)
        return handler_for(change.kind).conflict_keys(self.deps, change, prior)

    def reapply(self, state: ObjectState) -> None:
        """Apply a stored object again as it was last applied, reading OX whatever its
        fingerprint says (``check --fix``: OX drifted)."""
        change = ObjectChange(state.id, Kind(state.udm_object_type), state.dn, state.object)
        with self.deps.store.transaction():
            self.deps.store.forget_verification([state.id])
        self.apply(change)

    def releases(self, held: NameHeldByOther, change: ObjectChange) -> bool:
        """Would applying ``change`` (the holder's own pending change) free what it holds?
        Only then may the holder be parked; otherwise two directory objects really want
        the same name or address, and the one claiming it must fail, not take it away."""
        if change.object is None:
            return True
        try:
            return handler_for(change.kind).releases(self.deps, held, change.object)
        except InvalidAttribute:
            return False  # that change fails on its own; the holder keeps what it has

    def park(self, held: NameHeldByOther) -> str:
        """Move the OX object that holds a name or address out of the way, under a
        temporary one: for changes that pass names around in a cycle (A->b and B->a in one
        run). The owner's own pending change then gives it its final one, by id."""
        store = self.deps.store
        with store.transaction():
            temporary = handler_for(held.kind).park(self.deps, held)
            owner = store.get(held.owner_id)
            if owner is not None:
                # OX no longer holds what was last applied: the owner's change reads it again
                owner = dataclasses.replace(owner, verified=None)
                if not isinstance(held, MailHeldByOther):
                    # nothing in the state store names addresses; names are in the placements
                    at = (held.context_id, held.ox_id)
                    placements = tuple(
                        dataclasses.replace(p, ox_name=temporary)
                        if (p.context_id, p.ox_id) == at
                        else p
                        for p in owner.placements
                    )
                    owner = dataclasses.replace(owner, placements=placements)
                store.put(owner)
        return temporary

    def _apply_one(
        self,
        handler: KindHandler,
        object_id: str,
        dn: str,
        obj: dict[str, Any],
        prior: ObjectState | None,
    ) -> ObjectState:
        """Apply, or, while the object's desired OX state is the one last applied and OX
        was read less than ``verify_after`` ago, only take the new UDM object (no call:
        a password change, a logon time, a group that is no OX group)."""
        fingerprint = handler.fingerprint(self.deps, object_id, dn, obj)
        unchanged = prior is not None and bool(fingerprint) and prior.fingerprint == fingerprint
        if prior is not None and unchanged and is_fresh(self.deps, prior):
            return dataclasses.replace(prior, dn=dn, object=obj)
        new = handler.apply(self.deps, object_id, dn, obj, prior)
        return dataclasses.replace(new, fingerprint=fingerprint, verified=time.time())

    def _reapply_referring(
        self, kind: Kind, member_dns: list[str], pending: Collection[str]
    ) -> None:
        """Re-apply the stored objects of this kind (groups, functional accounts) that list
        any of these DNs. Those with a change of their own still ``pending`` in this run
        are left to it: their stored member list may be stale (a DN renamed away and taken
        by a new user in the same run)."""
        store = self.deps.store
        handler = handler_for(kind)
        seen: set[str] = set()
        for member_dn in dict.fromkeys(member_dns):
            for state in store.referencing(member_dn):
                if state.udm_object_type != kind.value or state.id in seen or state.id in pending:
                    continue
                seen.add(state.id)
                store.put(self._apply_one(handler, state.id, state.dn, state.object, state))
