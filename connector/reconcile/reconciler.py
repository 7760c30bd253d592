"""Apply one change: dispatch by kind, all state writes in one transaction.

OX is written first, the state store committed after (the runner then deletes the file).
A crash anywhere leaves the file queued; applying it again converges, because every kind
reads OX before it writes and adopts what an interrupted run already created.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Collection

from ..desired.errors import InvalidAttribute
from ..desired.group import desired_group
from ..desired.resource import desired_resource
from ..desired.user import desired_user
from ..queue import Change, Kind
from ..state.store import ObjectState
from .access_profiles import apply_access_profile
from .contexts import apply_context
from .deps import Deps
from .errors import MailHeldByOther, NameHeldByOther
from .functional_accounts import TYPE as ACCOUNT_TYPE
from .functional_accounts import apply_functional_account
from .groups import TYPE as GROUP_TYPE
from .groups import apply_group
from .oxcalls import as_dict
from .resources import TYPE as RESOURCE_TYPE
from .resources import apply_resource
from .users import TYPE as USER_TYPE
from .users import apply_user


class Reconciler:
    HANDLED = frozenset(Kind)  # kinds it applies; the runner leaves others queued

    def __init__(self, deps: Deps):
        self.deps = deps

    def apply(self, change: Change, pending: Collection[str] = ()) -> None:
        """Apply one change. ``pending``: ids of objects whose own changes come later in
        this run (their dependants' refresh is left to those changes)."""
        store = self.deps.store
        with store.transaction():
            prior = store.get(change.id)
            new = self._dispatch(change, prior)
            if new is None:
                store.delete(change.id)
            else:
                store.put(new)
            self._refresh_dependents(change, prior, new, pending)

    def releases(self, held: NameHeldByOther, change: Change) -> bool:
        """Would applying ``change`` (the holder's own pending change) free what it holds?
        Only then may the holder be parked; otherwise two directory objects really want
        the same name or address, and the one claiming it must fail, not take it away."""
        if change.is_delete:
            return True
        opts = self.deps.options
        mail = isinstance(held, MailHeldByOther)
        try:
            if change.kind is Kind.USER:
                user = desired_user(
                    change.object,
                    opts.defaults,
                    opts.user_identifier,
                    opts.user_fields,
                    opts.imap_login,
                    change.id,
                    change.dn,
                )
                if not user.enabled or user.context_id != held.context_id:
                    return True
                kept = user.fields.get("primaryEmail", "") if mail else user.name
            elif change.kind is Kind.RESOURCE:
                res = desired_resource(change.object, opts.default_context)
                if res.context_id != held.context_id:
                    return True
                kept = res.fields.get("email", "") if mail else res.name
            elif change.kind is Kind.GROUP:
                group = desired_group(change.object, opts.group_identifier)
                if not group.synced:
                    return True
                kept = group.name
            else:
                return False
        except InvalidAttribute:
            return False  # that change fails on its own; the holder keeps what it has
        return kept.lower() != held.value.lower()

    def park(self, held: NameHeldByOther) -> str:
        """Move the OX user or group that holds a name out of the way, under a temporary
        name: for renames that pass names around in a cycle (A->b and B->a in one run).
        The owner's own pending change then renames it to its final name by id."""
        if isinstance(held, MailHeldByOther):
            return self._park_mail(held)
        store, ox = self.deps.store, self.deps.ox
        temporary = f"renaming.{held.ox_id}.{secrets.token_hex(4)}"
        ctx = {"id": held.context_id}
        with store.transaction():
            if held.udm_object_type == USER_TYPE:
                ox.call(
                    "OXUserService",
                    "change",
                    ctx=ctx,
                    usrdata={"id": held.ox_id, "name": temporary},
                )
            elif held.udm_object_type == GROUP_TYPE:
                group = as_dict(
                    ox.call("OXGroupService", "getData", ctx=ctx, grp={"id": held.ox_id})
                )
                # OX replaces the members on every group change: send them back unchanged
                ox.call(
                    "OXGroupService",
                    "change",
                    ctx=ctx,
                    grp={
                        "id": held.ox_id,
                        "name": temporary,
                        "displayname": group.get("displayname") or temporary,
                        "members": group.get("members") or [],
                    },
                )
            else:
                raise held
            owner = store.get(held.owner_id)
            if owner is not None:
                store.put(
                    dataclasses.replace(
                        owner,
                        placements=tuple(
                            dataclasses.replace(p, ox_name=temporary)
                            if (p.context_id, p.ox_id) == (held.context_id, held.ox_id)
                            else p
                            for p in owner.placements
                        ),
                    )
                )
        return temporary

    def _park_mail(self, held: MailHeldByOther) -> str:
        """Give the user or resource holding an address a temporary one in the same domain
        (OX keeps addresses unique per context); the owner's own pending change then sets
        its final address. Nothing in the state store names addresses, so only OX changes."""
        ox, ctx = self.deps.ox, {"id": held.context_id}
        domain = held.value.rpartition("@")[2]
        temporary = f"renaming.{held.ox_id}.{secrets.token_hex(4)}@{domain}"
        if held.udm_object_type == RESOURCE_TYPE:
            ox.call(
                "OXResourceService", "change", ctx=ctx, res={"id": held.ox_id, "email": temporary}
            )
            return temporary
        if held.udm_object_type != USER_TYPE:
            raise held
        user = as_dict(ox.call("OXUserService", "getData", ctx=ctx, user={"id": held.ox_id}))
        released = held.value.lower()
        # primary, email1 and sender must stay among the aliases: swap the address out there
        aliases = [a for a in user.get("aliases") or [] if a.lower() != released]
        usrdata = {
            "id": held.ox_id,
            "primaryEmail": temporary,
            "email1": temporary,
            "aliases": [*aliases, temporary],
        }
        sender = user.get("defaultSenderAddress") or ""
        if not sender or sender.lower() == released:
            usrdata["defaultSenderAddress"] = temporary
        ox.call("OXUserService", "change", ctx=ctx, usrdata=usrdata)
        return temporary

    def _refresh_dependents(
        self,
        change: Change,
        prior: ObjectState | None,
        new: ObjectState | None,
        pending: Collection[str],
    ) -> None:
        """Groups and functional accounts derive from their members' state, and no file of
        theirs is queued when a member is enabled, moved or (for accounts) changes a
        property their login is built from: bring them up to date here."""
        dns = [change.dn, *([prior.dn] if prior and prior.dn != change.dn else [])]
        if change.kind is Kind.USER:
            placement_changed = _placements(prior) != _placements(new)
            if placement_changed:
                self._reapply_referring(GROUP_TYPE, apply_group, dns, pending)
            if placement_changed or _login_inputs_changed(self.deps, prior, new):
                groups = [
                    g.dn
                    for dn in dns
                    for g in self.deps.store.referencing(dn)
                    if g.udm_object_type == GROUP_TYPE
                ]
                self._reapply_referring(
                    ACCOUNT_TYPE, apply_functional_account, dns + groups, pending
                )
        elif change.kind is Kind.GROUP and _members(prior) != _members(new):
            self._reapply_referring(ACCOUNT_TYPE, apply_functional_account, dns, pending)

    def _reapply_referring(
        self, udm_object_type: str, apply, member_dns: list[str], pending: Collection[str]
    ) -> None:
        """Re-apply the stored objects of this type (groups, functional accounts) that list
        any of these DNs. Those with a change of their own still ``pending`` in this run are
        left to it: their stored member list may be stale (a DN renamed away and taken by a
        new user in the same run)."""
        store = self.deps.store
        seen = set(pending)
        for member_dn in dict.fromkeys(member_dns):
            for state in store.referencing(member_dn):
                if state.udm_object_type != udm_object_type or state.id in seen:
                    continue
                seen.add(state.id)
                new = apply(self.deps, state.id, state.dn, state.object, state)
                if new is not None:
                    store.put(new)

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
        if kind is Kind.FUNCTIONAL_ACCOUNT:
            return apply_functional_account(self.deps, change.id, change.dn, change.object, prior)
        raise ValueError(f"{kind.value} objects are not handled")


def _members(state: ObjectState | None) -> list | None:
    return None if state is None else state.object.get("users")


def _login_inputs_changed(deps: Deps, prior: ObjectState | None, new: ObjectState | None) -> bool:
    """Did a user property that functional-account logins are built from change?"""
    if prior is None or new is None:
        return prior is not new
    if prior.dn != new.dn:
        return True
    return any(prior.object.get(p) != new.object.get(p) for p in deps.options.fa_login.placeholders)


def _placements(state: ObjectState | None) -> tuple:
    if state is None:
        return ()
    return tuple((p.context_id, p.ox_id) for p in state.placements)
