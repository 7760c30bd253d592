"""``groups/group``: one OX group per context that has enabled members, holding them.

Membership comes from the state store (the users' OX placements), so a group is correct
whatever order its members were provisioned in; the reconciler re-applies a group when a
member's placement changes, since no group file is queued when a user is enabled or moved.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Hashable, Iterable
from functools import partial
from typing import Any

from ..desired.errors import InvalidAttribute
from ..desired.group import desired_group, members_by_context
from ..model.change import ObjectChange
from ..model.kinds import Kind
from ..model.udm import as_list
from ..state.store import ObjectState, Placement
from .deps import Deps
from .errors import NameHeldByOther
from .handler import Finding, KindHandler, compare_by_id, digest, referring_keys
from .ownership import check_name_free, check_owner, delete_quietly

log = logging.getLogger("ox_connector.reconcile")
DEFAULT_GROUP_ID = 1  # OX's own group "users", never an orphan


class GroupHandler(KindHandler):
    kind = Kind.GROUP
    has_drift_check = True

    def apply(
        self, deps: Deps, object_id: str, dn: str, obj: dict[str, Any], prior: ObjectState | None
    ) -> ObjectState:
        group = desired_group(obj, deps.options.group_identifier)
        wanted: dict[int, list[int]] = {}
        if group.synced:
            wanted = members_by_context(group.member_dns, lambda m: member_placement(deps, m))
        placements = []
        old = _old_placements(prior)
        for cid, members in sorted(wanted.items()):
            ox_id = _ensure(deps, object_id, cid, group.name, members, old.get(cid))
            placements.append(Placement(cid, ox_id, group.name))
        _delete_where_not(deps, old, wanted)
        return ObjectState(object_id, self.kind.value, dn, obj, tuple(placements))

    def delete(self, deps: Deps, object_id: str, dn: str, prior: ObjectState | None) -> None:
        _delete_where_not(deps, _old_placements(prior), {})

    def conflict_keys(
        self, deps: Deps, change: ObjectChange, prior: ObjectState | None
    ) -> frozenset[Hashable]:
        keys = set(super().conflict_keys(deps, change, prior))
        if change.object is not None:
            with contextlib.suppress(InvalidAttribute):
                name = desired_group(change.object, deps.options.group_identifier).name
                keys.add(("group-name", name.lower()))
        dns = [change.dn]
        if prior is not None:
            keys |= {("group-name", p.ox_name.lower()) for p in prior.placements if p.ox_name}
            dns.append(prior.dn)
        return frozenset(keys | referring_keys(deps, dns, depth=1))

    def fingerprint(
        self, deps: Deps, object_id: str, dn: str, obj: dict[str, Any]
    ) -> dict[str, str]:
        """Its name and, per context, its members' OX ids (a member's move changes it)."""
        group = desired_group(obj, deps.options.group_identifier)
        members = {}
        if group.synced:
            members = members_by_context(group.member_dns, lambda m: member_placement(deps, m))
        return {"group": digest((group.name, group.synced, members))}

    def releases(self, deps: Deps, held: NameHeldByOther, obj: dict[str, Any]) -> bool:
        group = desired_group(obj, deps.options.group_identifier)
        return not group.synced or not held.kept_by(group.name)

    def park(self, deps: Deps, held: NameHeldByOther) -> str:
        temporary = held.temporary()
        group = deps.ox.groups.find(held.context_id, ox_id=held.ox_id) or {}
        # OX replaces the members on every group change: send them back unchanged
        deps.ox.groups.change(
            held.context_id,
            held.ox_id,
            temporary,
            group.get("displayname") or temporary,
            group.get("members") or [],
        )
        return temporary

    def referring(
        self, deps: Deps, dns: list[str], prior: ObjectState | None, new: ObjectState | None
    ) -> Iterable[tuple[Kind, list[str]]]:
        """Functional accounts reach the users of their member groups."""
        if _members(prior) != _members(new):
            yield Kind.FUNCTIONAL_ACCOUNT, dns

    def drift(self, deps: Deps, cid: int, stored: list[ObjectState]) -> list[Finding]:
        actual = {g["id"]: g for g in deps.ox.groups.list_all(cid)}

        def differences(state: ObjectState, group: dict[str, Any]) -> list[str]:
            wanted = desired_group(state.object, deps.options.group_identifier)
            members = members_by_context(wanted.member_dns, lambda dn: member_placement(deps, dn))
            return [
                f
                for f, want, have in (
                    ("name", wanted.name, group.get("name")),
                    ("displayname", wanted.name, group.get("displayname")),
                    ("members", members.get(cid, []), sorted(group.get("members") or [])),
                )
                if want != have
            ]

        def own(group: dict[str, Any]) -> bool:
            return bool(group["id"] == DEFAULT_GROUP_ID)

        return compare_by_id(self.kind, cid, stored, actual, differences, own)

    def delete_orphan(self, deps: Deps, finding: Finding) -> None:
        if finding.ox_id is not None:
            deps.ox.groups.delete(finding.context_id, finding.ox_id)


def member_placement(deps: Deps, member_dn: str) -> tuple[int, int] | None:
    """(context, OX id) of the user with this DN, if the connector placed one."""
    state = deps.store.find_by_dn(member_dn)
    if state is None or state.udm_object_type != Kind.USER.value or not state.placements:
        return None
    placement = state.placements[0]
    if placement.ox_id is None:
        return None
    return placement.context_id, placement.ox_id


def _old_placements(prior: ObjectState | None) -> dict[int, Placement]:
    return {p.context_id: p for p in prior.placements} if prior else {}


def _members(state: ObjectState | None) -> Any:
    return None if state is None else as_list(state.object.get("users"))


def _delete_where_not(deps: Deps, old: dict[int, Placement], wanted: dict[int, Any]) -> None:
    """Delete the group from the contexts where it no longer has members."""
    for cid, placement in sorted(old.items()):
        ox_id = placement.ox_id
        if cid in wanted or ox_id is None:
            continue
        what = f"group {placement.ox_name}"
        if delete_quietly(deps, cid, what, partial(deps.ox.groups.delete, cid, ox_id)):
            log.info("group deleted", extra={"group": placement.ox_name, "context_id": cid})


def _ensure(
    deps: Deps, object_id: str, cid: int, name: str, members: list[int], old: Placement | None
) -> int:
    group = None
    if old is not None and old.ox_id is not None:
        group = deps.ox.groups.find(cid, ox_id=old.ox_id)
    what = f'group "{name}"'
    if group is None:
        group = deps.ox.groups.find(cid, name=name)
        if group is not None:
            check_owner(deps.store, Kind.GROUP, cid, group["id"], object_id, what, name)
    if group is None:
        ox_id = deps.ox.groups.create(cid, name, name, members)
        log.info("group created", extra={"group": name, "context_id": cid, "members": len(members)})
        return ox_id
    ox_id = group["id"]
    if group.get("name") != name:
        holder = deps.ox.groups.find(cid, name=name)
        check_name_free(deps.store, Kind.GROUP, cid, holder, ox_id, object_id, what, name)
    have = (group.get("name"), group.get("displayname"), sorted(group.get("members") or []))
    if have != (name, name, members):
        # OX replaces the member list on every change: always send all of them.
        deps.ox.groups.change(cid, ox_id, name, name, members)
        log.info("group changed", extra={"group": name, "context_id": cid, "members": len(members)})
    return int(ox_id)
